package kingbus.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import kingbus.store.BinlogReader;

/**
 * The downstream side of a node: a MySQL-protocol listener that replicas and binlog readers
 * connect to as if Kingbus were their master. Each connection is a {@link ClientSession} on its own
 * thread from the given factory (Liberty's ManagedThreadFactory in production).
 *
 * <p>Thread-safe: counters are atomic, sessions are tracked in a concurrent set, {@link #close()}
 * may be called from any thread.
 */
public final class MysqlServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MysqlServer.class.getName());
    /** Largest packet accepted from a client: commands are small; this refuses absurd length prefixes. */
    static final int MAX_CLIENT_PAYLOAD = 16 << 20;

    private final ServerSettings settings;
    private final BinlogReader store;
    private final ThreadFactory threads;
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final AtomicInteger dumping = new AtomicInteger();
    private final AtomicLong dumpsStarted = new AtomicLong();
    private final AtomicLong eventsSent = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile ServerSocket socket;
    private volatile boolean closed;
    private Thread acceptor;

    public MysqlServer(ServerSettings settings, BinlogReader store, ThreadFactory threads) {
        this.settings = settings;
        this.store = store;
        this.threads = threads;
    }

    /** Binds and starts accepting connections. */
    public void start() throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(settings.host()), settings.port()), 128);
        socket = server;
        acceptor = threads.newThread(this::acceptLoop);
        acceptor.setName("kingbus-mysql-acceptor");
        acceptor.start();
    }

    private void acceptLoop() {
        ServerSocket server = socket;
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (SocketException e) {
                if (!closed) {
                    LOG.warning("The MySQL listener stopped accepting: " + e.getMessage());
                }
                return;
            } catch (IOException e) {
                LOG.warning("Accepting a MySQL connection failed: " + e.getMessage());
                continue;
            }
            ClientSession session = new ClientSession(this, client, connectionIds.incrementAndGet());
            boolean refused = sessions.size() >= settings.maxConnections();
            if (!refused) {
                sessions.add(session);
            }
            try {
                Thread thread = threads.newThread(refused ? session::refuseTooMany : session::run);
                thread.setName("kingbus-mysql-" + session.connectionId());
                thread.start();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "No thread for a MySQL connection", e);
                sessions.remove(session);
                session.closeQuietly();
            }
        }
    }

    void ended(ClientSession session) {
        sessions.remove(session);
    }

    void dumpStarted() {
        dumpsStarted.incrementAndGet();
        dumping.incrementAndGet();
    }

    void dumpEnded() {
        dumping.decrementAndGet();
    }

    void sent(long events, long bytes) {
        eventsSent.addAndGet(events);
        bytesSent.addAndGet(bytes);
    }

    ServerSettings settings() {
        return settings;
    }

    BinlogReader store() {
        return store;
    }

    /** The replicas registered on this node (COM_REGISTER_SLAVE) that are dumping now. */
    java.util.List<ClientSession> replicas() {
        return sessions.stream().filter(ClientSession::isDumping).toList();
    }

    public int boundPort() {
        ServerSocket server = socket;
        return server == null ? -1 : server.getLocalPort();
    }

    public boolean isListening() {
        ServerSocket server = socket;
        return server != null && server.isBound() && !server.isClosed() && !closed;
    }

    /** Sessions currently in a binlog dump. */
    public int connectedReplicas() {
        return dumping.get();
    }

    /** Binlog dumps started since start (a replica that reconnects counts again). */
    public long dumpsStarted() {
        return dumpsStarted.get();
    }

    public long eventsSent() {
        return eventsSent.get();
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    @Override
    public void close() {
        closed = true;
        ServerSocket server = socket;
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "close", e);
            }
        }
        for (ClientSession session : sessions) {
            session.closeQuietly();
        }
        Thread a = acceptor;
        if (a != null) {
            try {
                a.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("MySQL listener closed");
    }
}
