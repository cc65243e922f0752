package kingbus.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a MySQL server that flips one byte inside the body of the first
 * binlog event of a chosen type it relays to a client (the MySQL framing and the event header stay
 * intact, so only the event's CRC32 can tell), once; everything else passes unchanged. For testing
 * that a replica of the server refuses a corrupt event. Threads: one acceptor, two pumps per
 * connection; {@link #close()} stops them all.
 */
public final class CorruptingProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final int eventType;
    private final AtomicInteger corrupted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    /** Listens on a free loopback port and relays to {@code targetPort}; corrupts one event of {@code eventType}. */
    public CorruptingProxy(int targetPort, int eventType) throws IOException {
        this.targetPort = targetPort;
        this.eventType = eventType;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "corrupting-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** How many events were corrupted so far (0 or 1). */
    public int corrupted() {
        return corrupted.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(server);
                pump(client.getInputStream(), server.getOutputStream(), false);
                pump(server.getInputStream(), client.getOutputStream(), true);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(InputStream in, OutputStream out, boolean fromServer) {
        Thread thread = new Thread(() -> {
            try {
                if (!fromServer) {
                    in.transferTo(out);
                    return;
                }
                byte[] header = new byte[4];
                while (in.readNBytes(header, 0, 4) == 4) {
                    int length = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16;
                    byte[] payload = in.readNBytes(length);
                    // 0x00 | event header (timestamp 4, type 1, ...) | body: flip a body byte once.
                    if (payload.length > 60 && payload[0] == 0 && (payload[5] & 0xFF) == eventType
                            && corrupted.compareAndSet(0, 1)) {
                        payload[1 + 19 + 10] ^= 0x5A;
                    }
                    out.write(header);
                    out.write(payload);
                    out.flush();
                    if (payload.length < length) {
                        return;
                    }
                }
            } catch (IOException e) {
                // a side closed: the other pump ends too once its socket is closed
            } finally {
                closeQuietly(in);
                closeQuietly(out);
            }
        }, "corrupting-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closeQuietly(listener);
        sockets.forEach(CorruptingProxy::closeQuietly);
    }
}
