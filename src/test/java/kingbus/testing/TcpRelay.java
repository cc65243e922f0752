package kingbus.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay from a free loopback port to a server on loopback, for tests that put a faulty network between a
 * client and a server: one acceptor thread connects each client to the server and hands both sockets to
 * {@link #relay}, which starts the threads that carry the bytes. {@link #close()} closes the listener and every
 * socket, which ends those threads.
 */
public abstract class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** Listens on a free loopback port; nobody can connect before the subclass is built, as nobody knows the port. */
    protected TcpRelay(int targetPort, String name) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        startDaemon(name, this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Starts relaying one connection, on the acceptor thread; both sockets are open and closed by {@link #close()}. */
    protected abstract void relay(Socket client, Socket server) throws IOException;

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(server);
                relay(client, server);
            } catch (IOException e) {
                return;
            }
        }
    }

    /** A daemon thread running {@code body}, started. */
    protected static Thread startDaemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    protected static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closeQuietly(listener);
        sockets.forEach(TcpRelay::closeQuietly);
    }
}
