package kingbus.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import kingbus.store.BinlogReader;
import kingbus.store.BinlogPurger;

/**
 * The downstream side of a node: a MySQL-protocol listener that replicas and binlog readers
 * connect to as if Kingbus were their master. Each connection is a {@link ClientSession} on its own
 * thread from the given factory (Liberty's ManagedThreadFactory in production).
 *
 * <p>Lifecycle: {@link #start()} binds and starts the acceptor; {@link #close()} stops accepting,
 * closes every session's socket, interrupts and joins their threads (up to {@link #CLOSE_TIMEOUT}).
 *
 * <p>Thread-safe: counters are atomic, sessions are tracked in a concurrent map, {@link #close()}
 * may be called from any thread. A failure in one connection never stops the listener.
 */
public final class MysqlServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MysqlServer.class.getName());
    /**
     * Largest payload accepted from a client (MariaDB's max_allowed_packet for what it reads):
     * replication commands and queries are small, so a longer length prefix is refused before any
     * of it is read.
     */
    static final int MAX_CLIENT_PAYLOAD = 1 << 20;
    /** How long {@link #close()} waits for the listener and session threads to end. */
    static final java.time.Duration CLOSE_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final ServerSettings settings;
    private final BinlogReader store;
    private final BinlogPurger purger;
    private volatile MasterSwitch masterSwitch;
    private final ThreadFactory threads;
    private final Map<ClientSession, Thread> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final AtomicInteger dumping = new AtomicInteger();
    private final AtomicLong dumpsStarted = new AtomicLong();
    private final AtomicLong eventsSent = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong semiSyncAcks = new AtomicLong();
    private volatile ServerSocket socket;
    private volatile boolean closed;
    private Thread acceptor;
    private Thread writeWatch;

    public MysqlServer(ServerSettings settings, BinlogReader store, ThreadFactory threads) {
        this(settings, store, null, threads);
    }

    /** A server whose admin user may purge binlog files through {@code purger} (null: PURGE is refused). */
    public MysqlServer(ServerSettings settings, BinlogReader store, BinlogPurger purger, ThreadFactory threads) {
        this.settings = settings;
        this.store = store;
        this.purger = purger;
        this.threads = threads;
    }

    /** Lets the admin user repoint the cluster with CHANGE MASTER TO (from the next statement on). */
    public MysqlServer masterSwitch(MasterSwitch masterSwitch) {
        this.masterSwitch = masterSwitch;
        return this;
    }

    /** What CHANGE MASTER TO goes through, if this node can repoint the cluster. */
    java.util.Optional<MasterSwitch> masterSwitch() {
        return java.util.Optional.ofNullable(masterSwitch);
    }

    /** What PURGE BINARY LOGS goes through, if this node can purge. */
    java.util.Optional<BinlogPurger> purger() {
        return java.util.Optional.ofNullable(purger);
    }

    /** Binds and starts accepting connections. */
    public void start() throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(settings.host()), settings.port()), 128);
        socket = server;
        try {
            acceptor = threads.newThread(this::acceptLoop);
            nameThread(acceptor, "kingbus-mysql-acceptor");
            acceptor.start();
            writeWatch = threads.newThread(this::watchWrites);
            nameThread(writeWatch, "kingbus-mysql-write-watch");
            writeWatch.start();
        } catch (RuntimeException e) {
            server.close();
            throw new IOException("Could not start the MySQL listener thread: " + e, e);
        }
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
            try {
                boolean refused = sessions.size() >= settings.maxConnections();
                Thread thread = threads.newThread(refused ? session::refuseTooMany : session::run);
                if (thread == null) {
                    throw new IllegalStateException("the thread factory gave no thread");
                }
                nameThread(thread, "kingbus-mysql-" + session.connectionId());
                if (!refused) {
                    sessions.put(session, thread);
                }
                thread.start();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "No thread for a MySQL connection from " + client.getRemoteSocketAddress(), e);
                sessions.remove(session);
                closeQuietly(client);
            }
        }
    }

    /**
     * Closes the connections whose client has taken nothing for {@link ServerSettings#netWriteTimeout()}: a write
     * into a full socket buffer blocks for as long as the client does not read (a frozen replica keeps its TCP
     * window shut for good), and a Java socket write has no timeout. Checks four times per timeout, at most once a
     * second.
     */
    private void watchWrites() {
        long timeout = settings.netWriteTimeout().toNanos();
        long period = Math.max(10, Math.min(1000, settings.netWriteTimeout().toMillis() / 4));
        while (!closed) {
            try {
                Thread.sleep(period); // a periodic check, not a wait for a condition
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (ClientSession session : sessions.keySet()) {
                if (session.writeBlockedNanos(now) > timeout) {
                    // The session's last log line says so, as a warning.
                    session.closeBecause("closed: the client took nothing of what was sent to it for "
                            + settings.netWriteTimeout().toSeconds() + " s (kingbus.mysql.net-write-timeout-seconds)");
                }
            }
        }
    }

    /** Names a thread for thread dumps; a managed thread may refuse, which is harmless. */
    private static void nameThread(Thread thread, String name) {
        try {
            thread.setName(name);
        } catch (SecurityException e) {
            LOG.log(Level.FINE, "setName", e);
        }
    }

    private static void closeQuietly(Socket client) {
        try {
            client.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "close", e);
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

    void semiSyncAcked() {
        semiSyncAcks.incrementAndGet();
    }

    /** Starts a helper thread of a session from the server's (managed) thread factory. */
    void startThread(Runnable task, String name) {
        Thread thread = threads.newThread(task);
        if (thread == null) {
            throw new IllegalStateException("the thread factory gave no thread");
        }
        nameThread(thread, name);
        thread.start();
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
    List<ClientSession> replicas() {
        return sessions.keySet().stream().filter(ClientSession::isDumping).toList();
    }

    /** True once {@link #close()} has begun: sessions end their dumps. */
    boolean isClosing() {
        return closed;
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

    /** Semi-sync acks received from replicas since start. */
    public long semiSyncAcks() {
        return semiSyncAcks.get();
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
        List<Thread> running = new ArrayList<>();
        Thread a = acceptor;
        if (a != null) {
            running.add(a);
        }
        Thread watch = writeWatch;
        if (watch != null) {
            watch.interrupt();
            running.add(watch);
        }
        for (Map.Entry<ClientSession, Thread> session : sessions.entrySet()) {
            session.getKey().closeQuietly();
            session.getValue().interrupt();
            running.add(session.getValue());
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        for (Thread thread : running) {
            try {
                thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive()) {
                LOG.warning("Thread " + thread.getName() + " did not end within " + CLOSE_TIMEOUT.toSeconds() + " s");
            }
        }
        LOG.info("MySQL listener closed");
    }
}
