package kingbus.syncer;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import com.github.shyiko.mysql.binlog.io.ByteArrayInputStream;
import com.github.shyiko.mysql.binlog.network.AuthenticationException;
import com.github.shyiko.mysql.binlog.network.SSLMode;
import com.github.shyiko.mysql.binlog.network.ServerException;
import com.github.shyiko.mysql.binlog.network.protocol.PacketChannel;
import com.github.shyiko.mysql.binlog.network.protocol.command.QueryCommand;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;
import kingbus.raft.EntryCodec;
import kingbus.raft.MasterChoice;

/**
 * The upstream side of the leader: pulls the master's binlog as a replica, keeps each event's
 * exact bytes, groups them into whole transactions and proposes them to Raft.
 *
 * <h2>What it does</h2>
 * Connects with mysql-binlog-connector-java (MariaDB capability 4, ANNOTATE_ROWS requested, the
 * master's checksum accepted) in MariaDB GTID mode from the committed GTID position of the store
 * ({@link ResumePoint}); with an empty store it starts at the master's first binlog file, position
 * 4, so every file is held whole. Each event is checked (position continuity, CRC32 when the file
 * has checksums) before it is grouped. A master whose binlog is another one (a replica promoted in the old
 * master's place) goes on in files of Kingbus's own ({@link OwnBinlog}). Complete units go through a bounded queue
 * to a proposer thread that batches them into Raft entries and keeps a few proposals in flight.
 *
 * <h2>Failure</h2>
 * On a disconnect, an error from the master, a bad event or a failed proposal, it drops the
 * partial transaction and everything not yet committed, waits for proposals in flight to settle,
 * and reconnects from the committed end with exponential backoff. Nothing is half-stored.
 *
 * <h2>Thread safety</h2>
 * {@link #start()} and {@link #stop()} may be called from any thread; status getters are lock-free.
 * It runs on two threads from the given factory: the connection and the proposer.
 */
public final class BinlogSyncer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BinlogSyncer.class.getName());
    /**
     * Complete transactions read ahead of Raft. Raft commits set the pace (the queue is full whenever the
     * master is ahead), so more buys no throughput; 64 MiB of it helped run a 512 MiB heap out with 10 MB
     * transactions.
     */
    private static final int MAX_QUEUED_BYTES = 32 << 20;
    /** The end of the message that refuses a master whose binlog is not the one held. */
    private static final String NOT_MIXED = " Kingbus does not mix two binlogs under one file name: it pulls"
            + " nothing from this master (it tries again, and says so again only if something changes); the binlog"
            + " held stays as it is. Point kingbus.master.host back at the master it came from, or start a new"
            + " cluster with an empty data directory for this one";

    /**
     * A file whose end a MariaDB master skipped when it resumed our GTID position in the next file (the position is
     * that file's GTID_LIST, so the master starts there): the next session reads it by file and position, which
     * gives its ROTATE event, and goes on from there.
     */
    private volatile String tailByPosition;
    /**
     * A file whose rest the master could not give by position (it no longer has it, or names its files
     * differently): GTID mode may then go on past its end, which stays as held.
     */
    private volatile String tailUnavailable;

    /**
     * Where the committed binlog ends: the syncer continues from here.
     *
     * @param file the newest file held
     * @param position its end
     * @param gtidPosition the committed GTID position, one GTID per domain ({@code 0-1-42,1-2-7}), or
     *     empty when no transaction is held yet
     * @param fileEnded true when the file ends with the master's ROTATE event: nothing more comes in it
     * @param fileStart the FORMAT_DESCRIPTION_EVENT that opens {@code file} as held, or null when not known: a master
     *     that sends another one for that file is not the one whose binlog is held ({@link OwnBinlog}); an own
     *     file's tells the syncer to go on in Kingbus's own files
     */
    public record ResumePoint(String file, long position, String gtidPosition, boolean fileEnded, byte[] fileStart) {

        /** A resume point in a file that may go on. */
        public ResumePoint(String file, long position, String gtidPosition) {
            this(file, position, gtidPosition, false, null);
        }

        /** A resume point without the file's opening event: any master's file of that name is taken. */
        public ResumePoint(String file, long position, String gtidPosition, boolean fileEnded) {
            this(file, position, gtidPosition, fileEnded, null);
        }
    }

    /** An event received at {@code start} of the current file and not handed on yet. */
    private record PendingEvent(long start, byte[] bytes) {
    }

    /** Proposes a Raft entry; the future is true when committed (appended or duplicate), false when rejected. */
    @FunctionalInterface
    public interface Proposer {
        CompletableFuture<Boolean> propose(byte[] entry);
    }

    /**
     * @param host the master's host
     * @param port the master's port
     * @param user the replication user on the master
     * @param password its password
     * @param serverId the server id Kingbus uses toward the master
     * @param heartbeat heartbeat period asked of the master
     * @param maxEntryBytes a Raft entry holds whole transactions up to about this size
     * @param maxInFlight proposals not yet committed at once
     * @param minBackoff first reconnect delay
     * @param maxBackoff largest reconnect delay
     * @param tls how connections to the master are secured
     * @param semiSync act as a semi-sync replica: acknowledge each transaction the master asks
     *     about once it is committed in Raft
     * @param netTimeout how long a read from the master may wait for anything, an event or a heartbeat, before
     *     the connection is dropped and made again (a MariaDB replica's {@code slave_net_timeout}); it also bounds
     *     each query to the master
     * @param ownServerId the server id of the files Kingbus writes itself when the master's binlog is not the one
     *     held but holds every GTID held (a promoted replica, see {@link OwnBinlog}); negative: such a master is
     *     refused, as for a syncer that copies another member's files
     */
    public record Settings(
            String host,
            int port,
            String user,
            String password,
            long serverId,
            Duration heartbeat,
            int maxEntryBytes,
            int maxInFlight,
            Duration minBackoff,
            Duration maxBackoff,
            MasterTls tls,
            boolean semiSync,
            Duration netTimeout,
            long ownServerId) {

        public Settings {
            if (netTimeout.compareTo(heartbeat) <= 0) {
                throw new IllegalArgumentException("The net timeout (" + netTimeout + ") must be longer than the"
                        + " heartbeat period (" + heartbeat + ")");
            }
        }

        /** Settings for a master reached without TLS, with {@link #defaultNetTimeout}. */
        public Settings(String host, int port, String user, String password, long serverId, Duration heartbeat,
                int maxEntryBytes, int maxInFlight, Duration minBackoff, Duration maxBackoff) {
            this(host, port, user, password, serverId, heartbeat, maxEntryBytes, maxInFlight, minBackoff, maxBackoff,
                    MasterTls.DISABLED, false, defaultNetTimeout(heartbeat), -1);
        }

        /**
         * Three heartbeat periods, and at least 30 s: what a silent master is given before the syncer reconnects. Not
         * less: a MariaDB 10.11 master that is asked for a GTID position reads its file from the start to find it and
         * sends nothing meanwhile, no heartbeat either.
         */
        public static Duration defaultNetTimeout(Duration heartbeat) {
            Duration three = heartbeat.multipliedBy(3);
            return three.compareTo(Duration.ofSeconds(30)) < 0 ? Duration.ofSeconds(30) : three;
        }
    }

    /**
     * How the syncer secures its connections to the master (the binlog stream and the query for its
     * first file), with the modes of MySQL clients' {@code --ssl-mode}.
     *
     * @param mode DISABLED, REQUIRED (encrypted, any certificate), VERIFY_CA (signed by {@code caFile})
     *     or VERIFY_IDENTITY (also issued to the master's host name or address)
     * @param caFile the PEM file of the CA that signed the master's certificate (VERIFY modes), or null
     * @param caContext a TLS context that trusts only that CA (VERIFY modes), or null
     */
    public record MasterTls(String mode, Path caFile, SSLContext caContext) {
        public static final MasterTls DISABLED = new MasterTls("DISABLED", null, null);

        boolean enabled() {
            return !mode.equals("DISABLED");
        }

        boolean verifyIdentity() {
            return mode.equals("VERIFY_IDENTITY");
        }

        /** The MariaDB JDBC driver's sslMode for this mode. */
        String jdbcSslMode() {
            return switch (mode) {
                case "REQUIRED" -> "trust";
                case "VERIFY_CA" -> "verify-ca";
                case "VERIFY_IDENTITY" -> "verify-full";
                default -> "disable";
            };
        }
    }

    /** What the syncer is doing. */
    public enum State {
        STOPPED,
        CONNECTING,
        STREAMING,
        WAITING_TO_RECONNECT
    }

    private final Settings settings;
    private final Supplier<Optional<ResumePoint>> committedEnd;
    private final Proposer proposer;
    private final ThreadFactory threads;

    private final AtomicLong eventsReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong transactionsProposed = new AtomicLong();
    private final AtomicLong semiSyncAcksSent = new AtomicLong();
    private volatile State state = State.STOPPED;
    private volatile String lastError;
    /**
     * The last problem logged: the same one again is not logged again until something was stored in between (a
     * connection that fails the same way every try says so once, though each try clears {@link #lastError}).
     */
    private volatile String lastWarned;
    private volatile String lastReceivedGtid;
    /** Master timestamp (seconds) of the last event received, and when it was received (millis). */
    private volatile long lastEventTimestamp = -1;
    /** {@link System#nanoTime} when the master last sent anything (an event, a heartbeat), or the syncer started. */
    private volatile long lastHeardNanos;
    private volatile boolean running;
    /** True while the master's events go into files of Kingbus's own ({@link OwnBinlog}). */
    private volatile boolean inOwnFiles;
    /** Set once the encrypted-master warning is logged: it is logged once per syncer, not per session. */
    private volatile boolean encryptionNoticed;
    private volatile BinaryLogClient client;
    /** The master pulled from: the settings' host and port until {@link #repoint}. */
    private volatile MasterChoice target;
    private Thread connectionThread;

    public BinlogSyncer(Settings settings, Supplier<Optional<ResumePoint>> committedEnd, Proposer proposer,
            ThreadFactory threads) {
        this.settings = settings;
        this.target = new MasterChoice(settings.host(), settings.port());
        this.committedEnd = committedEnd;
        this.proposer = proposer;
        this.threads = threads;
    }

    /** Starts pulling; does nothing if already running. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        lastHeardNanos = System.nanoTime();
        connectionThread = threads.newThread(this::runConnectionLoop);
        connectionThread.setName("kingbus-syncer");
        connectionThread.start();
        LOG.info(() -> "Syncer started toward master " + master());
    }

    /** Stops pulling and waits until nothing more will be proposed. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        disconnectQuietly();
        Thread thread = connectionThread;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        state = State.STOPPED;
        LOG.info("Syncer stopped");
    }

    @Override
    public void close() {
        stop();
    }

    public boolean isRunning() {
        return running;
    }

    public State state() {
        return state;
    }

    /** The last problem met (connection, master error, bad event), or null once streaming again. */
    public String lastError() {
        return lastError;
    }

    /**
     * True while the master's events go into binlog files of Kingbus's own: its binlog is not the one held (a
     * replica promoted in the old master's place), see {@link OwnBinlog}.
     */
    public boolean writesOwnFiles() {
        return inOwnFiles;
    }

    public String lastReceivedGtid() {
        return lastReceivedGtid;
    }

    /**
     * Seconds between the master writing the last event received and now, like a replica's
     * Seconds_Behind_Master (0 when idle and caught up, heartbeats keep it fresh); -1 before any event.
     */
    public long lagSeconds() {
        long timestamp = lastEventTimestamp;
        if (timestamp < 0) {
            return -1;
        }
        return Math.max(0, System.currentTimeMillis() / 1000 - timestamp);
    }

    /**
     * How long the master has sent this running syncer nothing, not even a heartbeat, counting from its start:
     * the master link is down, refused or silent for that long. Zero while the syncer is stopped.
     */
    public Duration silentFor() {
        return running ? Duration.ofNanos(System.nanoTime() - lastHeardNanos) : Duration.ZERO;
    }

    /**
     * Logs in to the master as the syncer would, with {@code timeout} for the connection and the login, and
     * leaves: empty when that worked, else why not. Any node may call it, the syncer running or not.
     */
    public Optional<String> probeMaster(Duration timeout) {
        try (Connection connection = connectJdbc(timeout, timeout)) {
            return connection.isValid((int) Math.max(1, timeout.toSeconds())) ? Optional.empty()
                    : Optional.of("the connection did not answer");
        } catch (SQLException e) {
            return Optional.of(describe(e));
        }
    }

    public long eventsReceived() {
        return eventsReceived.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** Semi-sync acknowledgements sent to the master since start (each after a Raft commit). */
    public long semiSyncAcksSent() {
        return semiSyncAcksSent.get();
    }

    public long transactionsProposed() {
        return transactionsProposed.get();
    }

    /** The master's {@code host:port}: the settings' until {@link #repoint}. */
    public String master() {
        return target.toString();
    }

    /**
     * Pulls from {@code next} from the next connection on; a connection open to another master is closed, so
     * the syncer connects to this one next, from the committed end as always. The account, TLS and the rest of the
     * settings stay. Any thread, RAFT's too: it returns at once (the close waits for the session, which may wait for
     * a Raft commit, so another thread does it).
     */
    public void repoint(MasterChoice next) {
        MasterChoice before = target;
        if (next.equals(before)) {
            return;
        }
        target = next;
        tailByPosition = null; // both name the old master's files, which the new one may hold others under
        tailUnavailable = null;
        LOG.info(() -> "Syncer repointed from master " + before + " to " + next);
        if (running) {
            Thread closer = threads.newThread(this::disconnectQuietly);
            closer.setName("kingbus-syncer-repoint");
            closer.start();
        }
    }

    // ---------------------------------------------------------------- connection loop

    private void runConnectionLoop() {
        long backoff = settings.minBackoff().toMillis();
        while (running) {
            state = State.CONNECTING;
            Session session = null;
            try {
                ResumePoint start = committedEnd.get().orElse(null);
                if (start == null) {
                    start = new ResumePoint(firstBinlogFile(), 4, "");
                }
                session = new Session(start);
                session.run();
                if (session.streamedSomething) {
                    backoff = settings.minBackoff().toMillis();
                }
            } catch (AuthenticationException e) {
                fail("The master " + master() + " refused Kingbus's credentials (user '" + settings.user() + "'): "
                        + e.getMessage());
            } catch (ServerException e) {
                String tail = tailByPosition;
                if (session != null && session.byPosition && session.file.equals(tail)) {
                    LOG.warning("The master " + master() + " cannot give the rest of " + tail + " by position (error "
                            + e.getErrorCode() + ": " + e.getMessage() + "): going on in GTID mode; " + tail
                            + " stays as held, without the master's end of it");
                    tailUnavailable = tail;
                    tailByPosition = null;
                }
                fail("The master " + master() + " answered error " + e.getErrorCode() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                if (causedBy(e, SocketTimeoutException.class)) {
                    fail("The master " + master() + " sent nothing for " + settings.netTimeout().toSeconds()
                            + " s, not even a heartbeat (kingbus.master.net-timeout-seconds): dropping the"
                            + " connection and connecting again");
                } else {
                    fail("Replication from master " + master() + " failed: " + describe(e));
                }
            } finally {
                if (session != null) {
                    session.shutDown();
                }
            }
            if (!running) {
                break;
            }
            state = State.WAITING_TO_RECONNECT;
            try {
                Thread.sleep(backoff); // reconnect backoff, not a wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            backoff = Math.min(backoff * 2, settings.maxBackoff().toMillis());
        }
        state = State.STOPPED;
    }

    private void fail(String message) {
        if (!running) {
            return;
        }
        if (!message.equals(lastWarned)) {
            lastWarned = message;
            LOG.warning(message);
        }
        lastError = message;
    }

    /**
     * True when a file whose GTID_LIST_EVENT lists {@code listed} can follow a binlog that holds {@code held}: every
     * domain of both is at least as far in the file, and they share one (a domain the master dropped with
     * {@code DELETE_DOMAIN_ID} is not listed any more).
     */
    static boolean beginsAfter(GtidList listed, GtidList held) {
        boolean shared = false;
        for (MariadbGtid gtid : held.gtids()) {
            List<MariadbGtid> inDomain = listed.gtids().stream().filter(g -> g.domainId() == gtid.domainId()).toList();
            if (!inDomain.isEmpty()) {
                shared = true;
                if (inDomain.stream().allMatch(g -> Long.compareUnsigned(g.sequence(), gtid.sequence()) < 0)) {
                    return false;
                }
            }
        }
        return shared;
    }

    /** The GTID of a MariaDB GTID_EVENT as text, {@code domain-server-sequence}. */
    private static String gtidOf(byte[] gtidEvent) {
        return LogEvent.gtidDomain(gtidEvent) + "-" + LogEvent.serverId(gtidEvent) + "-"
                + Long.toUnsignedString(LogEvent.gtidSequence(gtidEvent));
    }

    /** A binlog file's name without its sequence number: {@code mysql-bin} of {@code mysql-bin.000042}. */
    private static String baseName(String file) {
        int dot = file.lastIndexOf('.');
        return dot < 0 ? file : file.substring(0, dot);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return root == e ? text : text + " (" + root + ")";
    }

    /**
     * True when the master has semi-sync enabled ({@code rpl_semi_sync_master_enabled}), as a
     * MariaDB replica checks before it asks for semi-sync; otherwise a warning, and plain replication.
     */
    private boolean masterOffersSemiSync() throws SQLException {
        try (Connection connection = connectJdbc(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'")) {
            // As MariaDB's Repl_semi_sync_slave::request_transmit: the variable existing is enough (the
            // master may turn semi-sync on later); only a master without it gets no request.
            if (!rows.next()) {
                LOG.warning("kingbus.master.semi-sync is on but the master " + master()
                        + " has no rpl_semi_sync_master_enabled: replicating without semi-sync");
                return false;
            }
            if (!rows.getString(2).equalsIgnoreCase("ON")) {
                LOG.info(() -> "The master " + master() + " has rpl_semi_sync_master_enabled=OFF: Kingbus asks for"
                        + " semi-sync anyway and acknowledges once the master turns it on");
            }
            return true;
        }
    }

    private Connection connectJdbc() throws SQLException {
        return connectJdbc(Duration.ofSeconds(5), settings.netTimeout());
    }

    private Connection connectJdbc(Duration connectTimeout, Duration socketTimeout) throws SQLException {
        return connectJdbc(settings, target, connectTimeout, socketTimeout);
    }

    /** A JDBC connection to {@code master} with the account and TLS of {@code settings}. */
    static Connection connectJdbc(Settings settings, MasterChoice master, Duration connectTimeout,
            Duration socketTimeout) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", settings.user());
        props.setProperty("password", settings.password());
        props.setProperty("connectTimeout", String.valueOf(connectTimeout.toMillis()));
        props.setProperty("socketTimeout", String.valueOf(socketTimeout.toMillis()));
        MasterTls tls = settings.tls();
        if (tls.enabled()) {
            props.setProperty("sslMode", tls.jdbcSslMode());
            if (tls.caFile() != null) {
                props.setProperty("serverSslCert", tls.caFile().toString());
            }
        }
        return new org.mariadb.jdbc.Driver().connect("jdbc:mariadb://" + master + "/", props);
    }

    /** The oldest binlog file the master still has, from SHOW BINARY LOGS. */
    private String firstBinlogFile() throws SQLException {
        try (Connection connection = connectJdbc();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SHOW BINARY LOGS")) {
            if (!rows.next()) {
                throw new SQLException("The master " + master() + " has no binary logs: is log_bin enabled?");
            }
            return rows.getString(1);
        } catch (SQLException e) {
            if (e.getErrorCode() == 1045) {
                throw new SQLException("The master " + master() + " refused Kingbus's credentials (user '"
                        + settings.user() + "'): " + e.getMessage(), e.getSQLState(), e.getErrorCode(), e);
            }
            throw e;
        }
    }

    private void disconnectQuietly() {
        BinaryLogClient c = client;
        if (c != null) {
            try {
                c.disconnect();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "disconnect", e);
            }
        }
    }

    // ---------------------------------------------------------------- one upstream connection

    /** One connection to the master, from a committed resume point until it ends. */
    private final class Session {
        /** The master this session pulls from, whatever {@link #repoint} does meanwhile. */
        private final MasterChoice address = target;
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4096);
        /** Bytes of complete units waiting to be proposed: bounds the heap a fast master can fill. */
        private final Semaphore queuedBytes = new Semaphore(MAX_QUEUED_BYTES);
        private final Semaphore inFlight = new Semaphore(settings.maxInFlight());
        private final TransactionGrouper grouper = new TransactionGrouper(this::enqueue);
        private final Object endOfStream = new Object();
        private volatile Throwable failure;
        private volatile boolean closing;
        private String file;
        private long expectedPosition;
        private boolean checksums;
        private boolean streamedSomething;
        private Thread proposerThread;
        /** Proposer thread only: acks waiting for the entry that holds their transaction. */
        private final List<AckMarker> pendingAcks = new ArrayList<>();
        /** Proposer thread only: a slot of {@link #inFlight} taken and not yet handed to a proposal. */
        private boolean slotHeld;
        private CompletableFuture<Boolean> lastProposal = CompletableFuture.completedFuture(true);
        private volatile SemiSyncClient sessionClient;
        /** Connector thread only: an ack asked for, waiting for its group to be handed on. */
        private AckMarker deferredAck;
        /** One thread per session writes semi-sync acks to the master, in commit order. */
        private final ExecutorService ackSender = Executors.newSingleThreadExecutor(threads);

        private final String gtidPosition;
        /** True when this session asks by file and position ({@code COM_BINLOG_DUMP}), false in GTID mode. */
        private final boolean byPosition;
        /** True once {@link #file} has ended (its ROTATE or STOP event is held): the next file may start. */
        private boolean fileEnded;
        /** The newest file held when this session began, and the event that opens it as held (null: unknown). */
        private final String heldFile;
        private final byte[] heldFileStart;
        /** The GTID position held when this session began, one GTID per domain. */
        private final GtidList heldGtids;
        /**
         * False from the moment the master goes on in a file other than {@link #heldFile} until that file's
         * GTID_LIST_EVENT shows that it comes after the GTIDs held ({@link #holdBackUntilChecked}).
         */
        private boolean newFileChecked = true;
        /** The new file's events before its GTID_LIST_EVENT (its FDE), with their positions, until it is checked. */
        private final List<PendingEvent> heldBack = new ArrayList<>();
        /** The newest file handed on: {@link #heldFile}, or one this session began. */
        private String newestFile;
        /** Set while the master's events go into files of Kingbus's own (its binlog is another one's). */
        private OwnBinlog own;

        Session(ResumePoint start) {
            this.heldFile = start.file();
            this.heldFileStart = start.fileStart();
            this.heldGtids = GtidList.parse(start.gtidPosition());
            this.file = start.file();
            this.expectedPosition = start.position();
            this.gtidPosition = start.gtidPosition();
            this.fileEnded = start.fileEnded();
            this.newestFile = start.file();
            boolean ownFile = OwnBinlog.isOwn(start.fileStart(), settings.ownServerId());
            this.byPosition = gtidPosition.isEmpty() || (!ownFile && start.file().equals(tailByPosition));
            if (ownFile) {
                own = OwnBinlog.resume(start.file(), start.position(), start.fileEnded(), start.fileStart(),
                        heldGtids, settings.ownServerId(), this::handOn);
            }
            inOwnFiles = ownFile;
        }

        /** Hands one event placed at {@code position} of {@code inFile} (as held) to the grouper. */
        private void handOn(String inFile, long position, byte[] event, boolean hasChecksum) {
            grouper.add(inFile, position, event, hasChecksum);
            newestFile = inFile;
        }

        /**
         * The master's binlog is not the one held ({@code why}). A master that took Kingbus's GTID position holds
         * every transaction held: a replica promoted in the old master's place. Its events go on in files of
         * Kingbus's own ({@link OwnBinlog}); a syncer without an own server id refuses it.
         */
        private void goOnInOwnFiles(String why) {
            if (settings.ownServerId() < 0 || gtidPosition.isEmpty()) {
                throw new IllegalStateException(why + NOT_MIXED);
            }
            if (byPosition) {
                // Reading the rest of a held file by position: this server's file of that name is another one.
                tailUnavailable = tailByPosition;
                tailByPosition = null;
                throw new IllegalStateException(why + " Going on in GTID mode.");
            }
            own = OwnBinlog.after(newestFile, heldGtids, settings.ownServerId(), this::handOn);
            inOwnFiles = true;
            LOG.warning(() -> why + " It took Kingbus's GTID position '" + gtidPosition + "', so it holds every"
                    + " transaction Kingbus holds (a replica promoted in the old master's place): Kingbus goes on in"
                    + " files of its own from " + OwnBinlog.nextFileName(newestFile) + ", with this master's"
                    + " events byte for byte but for their positions and checksums");
        }

        /** TLS over the connector's socket, trusting only the configured CA (and checking the host for VERIFY_IDENTITY). */
        private SSLSocket verifiedTls(Socket socket, MasterTls tls) throws SocketException {
            try {
                SSLSocket secured = (SSLSocket) tls.caContext().getSocketFactory()
                        .createSocket(socket, address.host(), address.port(), true);
                if (tls.verifyIdentity()) {
                    SSLParameters parameters = secured.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    secured.setSSLParameters(parameters);
                }
                return secured;
            } catch (IOException e) {
                SocketException failure = new SocketException("TLS to the master failed: " + e.getMessage());
                failure.initCause(e);
                throw failure;
            }
        }

        void run() throws Exception {
            boolean semiSync = settings.semiSync() && masterOffersSemiSync();
            SemiSyncClient c = new SemiSyncClient(address.host(), address.port(), settings.user(),
                    settings.password(), semiSync);
            c.setServerId(settings.serverId());
            c.setKeepAlive(false);
            // The connector reads without a timeout: a link gone silent (cut, or a master host that died without
            // closing it) would block this session for good. With heartbeats asked for, silence this long is a
            // dead link, as for a MariaDB replica's slave_net_timeout.
            c.setSocketFactory(() -> {
                Socket socket = new Socket();
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.netTimeout().toMillis()));
                return socket;
            });
            c.setHeartbeatInterval(settings.heartbeat().toMillis());
            c.setUseSendAnnotateRowsEvent(true);
            MasterTls tls = settings.tls();
            if (tls.enabled()) {
                if (tls.caContext() != null) {
                    // Our factory checks the CA and, for VERIFY_IDENTITY, the host (IP addresses too,
                    // which the connector's own host name check does not match against the certificate).
                    c.setSSLMode(SSLMode.VERIFY_CA);
                    c.setSslSocketFactory(socket -> verifiedTls(socket, tls));
                } else {
                    c.setSSLMode(SSLMode.valueOf(tls.mode()));
                }
            }
            if (byPosition) {
                // Nothing held yet: the master's first file from position 4, so every file is held whole. Or the
                // rest of a file the master skipped in GTID mode (tailByPosition).
                c.setBinlogFilename(file);
                c.setBinlogPosition(expectedPosition);
            } else {
                // MariaDB GTID mode (@slave_connect_state): the master resends the file's header events
                // and starts right after our last committed transaction; events before our end position
                // are dropped by position, so the files stay byte-identical.
                c.setGtidSet(gtidPosition);
            }
            c.setEventDeserializer(new RawCapture(semiSync));
            c.registerEventListener(this::onEvent);
            c.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
                @Override
                public void onCommunicationFailure(BinaryLogClient client, Exception ex) {
                    if (failure == null && !closing) {
                        failure = ex;
                    }
                }

                @Override
                public void onEventDeserializationFailure(BinaryLogClient client, Exception ex) {
                    if (failure == null) {
                        failure = ex;
                    }
                    disconnectQuietly();
                }
            });
            client = c;
            sessionClient = c;
            if (!address.equals(target)) {
                // Repointed since this session began: repoint's closer may have missed this client, so leave now.
                client = null;
                return;
            }
            proposerThread = threads.newThread(this::runProposer);
            proposerThread.setName("kingbus-syncer-proposer");
            proposerThread.start();
            LOG.info(() -> "Connecting to master " + master() + " at " + file + ":" + expectedPosition
                    + (gtidPosition.isEmpty() ? "" : " (GTID position '" + gtidPosition + "')"));
            c.connect(); // blocks until the connection ends
            Throwable ended = failure;
            if (ended instanceof Exception e) {
                throw e;
            }
            if (ended != null) {
                throw new IOException(ended);
            }
            if (running) {
                throw new IOException("the master closed the replication stream");
            }
        }

        /** Called on the connector's thread with one captured event. */
        private void onEvent(Event event) {
            if (!(event.getData() instanceof RawEventData raw) || failure != null) {
                return;
            }
            byte[] bytes = raw.bytes();
            lastHeardNanos = System.nanoTime();
            eventsReceived.incrementAndGet();
            bytesReceived.addAndGet(bytes.length);
            try {
                accept(bytes);
                if (raw.needAck()) {
                    deferredAck = new AckMarker(file, LogEvent.logPos(bytes));
                }
                if (deferredAck != null && !grouper.inTransaction()) {
                    // After the unit that holds the event: acknowledged once the entry holding it
                    // commits (an end the grouper did not see yet waits for the group to close).
                    enqueue(deferredAck);
                    deferredAck = null;
                }
            } catch (RuntimeException e) {
                failure = e;
                disconnectQuietly();
            }
        }

        /**
         * A master with {@code encrypt_binlog=ON} decrypts its files for replicas and marks this event
         * ignorable (MariaDB's {@code send_format_descriptor_event}): the stream that follows is plain
         * and Kingbus stores it as sent, positions unchanged. An unmarked one would mean encrypted
         * events follow, which Kingbus cannot read.
         */
        private void acceptStartEncryption(byte[] e) {
            if (!LogEvent.isIgnorable(e)) {
                throw new IllegalStateException("The master sent START_ENCRYPTION_EVENT in " + file
                        + " without LOG_EVENT_IGNORABLE_F, so the events after it would be encrypted:"
                        + " Kingbus cannot decrypt binlog events");
            }
            if (!encryptionNoticed) {
                encryptionNoticed = true;
                LOG.warning(() -> "The master's binlog " + file + " is encrypted on its disk (encrypt_binlog=ON);"
                        + " the master sends it decrypted and Kingbus stores it as sent, unencrypted:"
                        + " encrypt Kingbus's data directory if the binlog must stay encrypted at rest");
            }
        }

        private void accept(byte[] e) {
            int type = LogEvent.type(e);
            long timestamp = LogEvent.uint32(e, LogEvent.TIMESTAMP_OFFSET);
            if (type == LogEvent.HEARTBEAT_LOG_EVENT || timestamp == 0) {
                lastEventTimestamp = System.currentTimeMillis() / 1000; // the master has nothing newer
            } else {
                lastEventTimestamp = timestamp;
            }
            if (type == LogEvent.HEARTBEAT_LOG_EVENT) {
                return;
            }
            if (type == LogEvent.START_ENCRYPTION_EVENT) {
                acceptStartEncryption(e);
            }
            if (type == LogEvent.FORMAT_DESCRIPTION_EVENT) {
                checksums = LogEvent.checksumAlgorithm(e) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
                if (LogEvent.serverId(e) == settings.ownServerId()) {
                    // Its files would pass for Kingbus's own (OwnBinlog.isOwn), and be re-positioned.
                    throw new IllegalStateException("The master " + master() + " has server_id "
                            + settings.ownServerId() + ", which is kingbus.server.id, the id of the binlog files"
                            + " Kingbus writes itself: set kingbus.server.id to an id no server of the replication"
                            + " topology uses. Nothing of this master is stored");
                }
            }
            if (LogEvent.isArtificial(e)) {
                if (type == LogEvent.ROTATE_EVENT) {
                    // The first fake ROTATE comes before any FDE, with the checksum we announced:
                    // a matching CRC32 trailer tells whether it has one.
                    String next = LogEvent.rotateFile(e, checksums || EventChecksum.matches(e));
                    if (own == null && next.compareTo(file) < 0 && baseName(next).equals(baseName(file))) {
                        goOnInOwnFiles("The master " + master() + " goes on in " + next + ", a file before " + file
                                + " that Kingbus holds: this is not the binlog Kingbus holds (another server, or the"
                                + " master's binlog was reset).");
                    }
                    if (own != null) {
                        file = next; // the master's file, for its semi-sync acks; the events go to own files
                    } else if (!next.equals(file)) {
                        if (!byPosition && !fileEnded && next.compareTo(file) > 0 && !file.equals(tailUnavailable)) {
                            tailByPosition = file;
                            throw new IllegalStateException("The master resumed GTID position '" + gtidPosition
                                    + "' in " + next + ", past the end of " + file + " (held up to " + expectedPosition
                                    + "): reading the rest of " + file + " by file and position");
                        }
                        file = next;
                        expectedPosition = LogEvent.rotatePosition(e);
                        fileEnded = false;
                        tailByPosition = null;
                        newFileChecked = heldGtids.isEmpty() || file.equals(heldFile);
                    }
                    if (state != State.STREAMING) {
                        state = State.STREAMING;
                        lastError = null;
                        LOG.info(() -> "Streaming from master " + master() + " at " + file + ":" + expectedPosition);
                    }
                }
                return;
            }
            long end = LogEvent.logPos(e);
            long start = end - e.length;
            if (own == null && type == LogEvent.FORMAT_DESCRIPTION_EVENT && start == 4 && heldFileStart != null
                    && file.equals(heldFile) && !LogEvent.sameFileStart(e, heldFileStart)) {
                goOnInOwnFiles("The master " + master() + " sends a " + file + " that server_id "
                        + LogEvent.serverId(e) + " began at " + Instant.ofEpochSecond(LogEvent.uint32(e,
                        LogEvent.TIMESTAMP_OFFSET)) + ", but the " + file + " Kingbus holds was begun by server_id "
                        + LogEvent.serverId(heldFileStart) + " at " + Instant.ofEpochSecond(LogEvent.uint32(
                        heldFileStart, LogEvent.TIMESTAMP_OFFSET)) + ": this is not the binlog Kingbus holds"
                        + " (another server, or the master's binlog was reset).");
            }
            if (own != null) {
                acceptIntoOwnFiles(type, e);
                return;
            }
            if (start < expectedPosition) {
                return; // already held
            }
            if (start > expectedPosition) {
                throw new IllegalStateException("The master sent an event at " + file + ":" + start
                        + " but the binlog continues at " + expectedPosition);
            }
            if (checksums && !EventChecksum.matches(e)) {
                throw new IllegalStateException("The event at " + file + ":" + start
                        + " has a bad CRC32: refusing to store it");
            }
            if (type == LogEvent.GTID_EVENT) {
                lastReceivedGtid = gtidOf(e);
            }
            if (!newFileChecked && holdBackUntilChecked(type, start, e)) {
                expectedPosition = end;
                return;
            }
            handOn(file, start, e, checksums);
            expectedPosition = end;
            if (!streamedSomething) {
                lastWarned = null; // something stored since: the next problem is news
            }
            streamedSomething = true;
            if (type == LogEvent.ROTATE_EVENT || type == LogEvent.STOP_EVENT) {
                fileEnded = true;
            }
        }

        /** An event of a master whose binlog goes on in Kingbus's own files: checked, then placed there. */
        private void acceptIntoOwnFiles(int type, byte[] e) {
            if (checksums && !EventChecksum.matches(e)) {
                throw new IllegalStateException("The event at the master's " + file + ":" + (LogEvent.logPos(e)
                        - e.length) + " has a bad CRC32: refusing to store it");
            }
            if (type == LogEvent.GTID_EVENT) {
                lastReceivedGtid = gtidOf(e);
            }
            own.accept(e, checksums);
            if (!streamedSomething) {
                lastWarned = null;
            }
            streamedSomething = true;
        }

        /**
         * Holds back a new file's opening events until its GTID_LIST_EVENT, which lists the GTID state where the file
         * begins: the file of the binlog held begins at or after every GTID held, a file of another server's binlog
         * (a replica promoted in the master's place, with its own files) or of a reset one may begin before them,
         * and is refused before any of it is stored. True when {@code e} is held back; false when it and everything
         * held back go on (released here, in order).
         */
        private boolean holdBackUntilChecked(int type, long start, byte[] e) {
            if (type == LogEvent.FORMAT_DESCRIPTION_EVENT || type == LogEvent.START_ENCRYPTION_EVENT) {
                heldBack.add(new PendingEvent(start, e));
                return true;
            }
            if (type == LogEvent.GTID_LIST_EVENT) {
                GtidList listed = Events.readGtidList(e);
                if (!beginsAfter(listed, heldGtids)) {
                    goOnInOwnFiles("The master " + master() + " goes on in " + file
                            + ", which begins at GTID position '" + listed + "', not after '" + heldGtids
                            + "' that Kingbus holds: this is not the binlog Kingbus holds (another server's,"
                            + " or the master's binlog was reset).");
                    newFileChecked = true;
                    for (PendingEvent event : heldBack) {
                        own.accept(event.bytes(), checksums);
                    }
                    heldBack.clear();
                    acceptIntoOwnFiles(type, e);
                    return true;
                }
            }
            newFileChecked = true; // checked, or nothing to check it with (no GTID_LIST where it would be)
            for (PendingEvent event : heldBack) {
                handOn(file, event.start(), event.bytes(), checksums);
            }
            heldBack.clear();
            return false;
        }

        private void enqueue(Object item) {
            try {
                int permits = item instanceof TransactionGrouper.Unit unit ? queuedPermits(unit) : 0;
                while (!queuedBytes.tryAcquire(permits, 100, TimeUnit.MILLISECONDS)) {
                    if (failure != null || !running) {
                        throw new IllegalStateException("the syncer is stopping");
                    }
                }
                while (!queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    if (failure != null || !running) {
                        throw new IllegalStateException("the syncer is stopping");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        private static int queuedPermits(TransactionGrouper.Unit unit) {
            return Math.min(unit.length(), MAX_QUEUED_BYTES);
        }

        /** Drains complete units into entries and proposes them, in order. */
        private void runProposer() {
            List<Object> drained = new ArrayList<>();
            try {
                while (true) {
                    Object first = queue.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (closing) {
                            return;
                        }
                        continue;
                    }
                    if (first == endOfStream) {
                        return;
                    }
                    // A slot in the window first, then everything queued by then into the entry: under load
                    // the transactions that arrive while the window is full ride in one entry, not one each.
                    takeSlot();
                    EntryCodec.BinlogEntryBuilder entry = new EntryCodec.BinlogEntryBuilder();
                    int bytes = 0;
                    int transactions = 0;
                    drained.clear();
                    drained.add(first);
                    queue.drainTo(drained, 1024);
                    boolean end = false;
                    for (int i = 0; i < drained.size(); i++) {
                        Object item = drained.get(i);
                        if (item == endOfStream) {
                            end = true;
                            break;
                        }
                        if (item instanceof AckMarker ack) {
                            pendingAcks.add(ack); // its unit is in this entry or an earlier one
                            continue;
                        }
                        TransactionGrouper.Unit unit = (TransactionGrouper.Unit) item;
                        queuedBytes.release(queuedPermits(unit));
                        long position = unit.startPosition();
                        for (byte[] event : unit.eventList()) {
                            entry.add(unit.file(), position, event, 0, event.length);
                            position += event.length;
                        }
                        bytes += unit.length();
                        transactions += unit.transactions();
                        if (bytes >= settings.maxEntryBytes() && i + 1 < drained.size()) {
                            propose(entry.build(), transactions);
                            entry = new EntryCodec.BinlogEntryBuilder();
                            bytes = 0;
                            transactions = 0;
                        }
                    }
                    if (!entry.isEmpty()) {
                        propose(entry.build(), transactions);
                    } else {
                        returnSlot();
                        if (!pendingAcks.isEmpty()) {
                            acknowledgeAfter(lastProposal);
                        }
                    }
                    drained.clear(); // a large transaction's events are not held while waiting
                    if (end) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                // Never die silently (an OutOfMemoryError on a huge transaction, say): the session
                // fails, the connection closes, and the syncer reconnects from the committed end.
                if (failure == null) {
                    failure = e;
                }
                disconnectQuietly();
            } finally {
                returnSlot();
                settle();
            }
        }

        /** Takes a slot in the window of proposals in flight, unless the proposer thread already holds one. */
        private void takeSlot() throws InterruptedException {
            if (!slotHeld) {
                inFlight.acquire();
                slotHeld = true;
            }
        }

        /** Gives back a slot taken and not handed to a proposal. */
        private void returnSlot() {
            if (slotHeld) {
                slotHeld = false;
                inFlight.release();
            }
        }

        /** Proposes {@code entry} in the slot held or the next one free; the slot is freed when it completes. */
        private void propose(byte[] entry, int transactions) throws InterruptedException {
            if (failure != null) {
                throw new InterruptedException("stopping after a failure");
            }
            takeSlot();
            CompletableFuture<Boolean> proposal = proposer.propose(entry);
            slotHeld = false; // now the proposal's: released when it completes
            lastProposal = proposal;
            acknowledgeAfter(proposal);
            proposal.whenComplete((committed, error) -> {
                inFlight.release();
                if (error != null || !Boolean.TRUE.equals(committed)) {
                    if (failure == null) {
                        failure = error != null ? error
                                : new IllegalStateException("Raft rejected an entry: it did not continue the store");
                    }
                    disconnectQuietly();
                } else {
                    transactionsProposed.addAndGet(transactions);
                }
            });
        }

        /**
         * Sends the pending semi-sync acks once {@code proposal} (which holds their transactions,
         * or comes after them) is committed; never before, and not at all if it fails.
         */
        private void acknowledgeAfter(CompletableFuture<Boolean> proposal) {
            if (pendingAcks.isEmpty()) {
                return;
            }
            AckMarker last = pendingAcks.get(pendingAcks.size() - 1);
            pendingAcks.clear();
            SemiSyncClient c = sessionClient;
            // Sent from the session's ack thread: a Raft thread completes the future and must never
            // wait on the master's socket.
            proposal.thenAcceptAsync(committed -> {
                if (Boolean.TRUE.equals(committed) && c != null && c.acknowledge(last.file(), last.position())) {
                    semiSyncAcksSent.incrementAndGet();
                }
            }, ackSender);
        }

        /** Waits until no proposal is in flight, so the committed end is final. */
        private void settle() {
            try {
                if (!inFlight.tryAcquire(settings.maxInFlight(), 60, TimeUnit.SECONDS)) {
                    LOG.warning("Raft proposals did not settle within 60 s");
                    return;
                }
                inFlight.release(settings.maxInFlight());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void shutDown() {
            closing = true;
            grouper.discardPartial();
            disconnectQuietly();
            queue.clear();
            if (failure == null) {
                queue.offer(endOfStream);
            }
            Thread p = proposerThread;
            if (p != null) {
                try {
                    p.join(TimeUnit.SECONDS.toMillis(90));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            client = null;
            ackSender.shutdown(); // acks already queued still go out; the connection may be gone
        }
    }

    // ---------------------------------------------------------------- raw capture

    /** An event's exact bytes, as received. */
    record RawEventData(byte[] bytes, boolean needAck) implements EventData {}

    /** In the proposer's queue after the unit whose last event the master wants acknowledged. */
    record AckMarker(String file, long position) {}

    /**
     * The connector's client, which can also act as a MariaDB semi-sync replica: before the dump it
     * sets {@code @rpl_semi_sync_slave = 1} on the replication connection, and
     * {@link #acknowledge} writes an ack packet ({@code 0xEF | int<8> position | file name}, packet
     * number 0, as MariaDB's {@code Repl_semi_sync_slave::slave_reply}). Acks are written from
     * Raft threads while the connector's thread reads: writes are serialised here, and only the
     * connector reads.
     */
    static final class SemiSyncClient extends BinaryLogClient {
        private final boolean semiSync;

        SemiSyncClient(String host, int port, String user, String password, boolean semiSync) {
            super(host, port, user, password);
            this.semiSync = semiSync;
        }

        @Override
        protected void requestBinaryLogStream() throws IOException {
            if (semiSync) {
                channel.write(new QueryCommand("SET @rpl_semi_sync_slave = 1"));
                checkError(channel.read());
            }
            super.requestBinaryLogStream();
        }

        /** Acknowledges the binlog up to {@code position} of {@code file}; false when it could not be sent. */
        synchronized boolean acknowledge(String file, long position) {
            PacketChannel current = channel;
            if (!semiSync || current == null || !current.isOpen()) {
                return false;
            }
            byte[] name = file.getBytes(StandardCharsets.UTF_8);
            byte[] ack = new byte[9 + name.length];
            ack[0] = (byte) 0xEF; // k_packet_magic_num
            for (int i = 0; i < 8; i++) {
                ack[1 + i] = (byte) (position >>> (8 * i));
            }
            System.arraycopy(name, 0, ack, 9, name.length);
            try {
                current.write(() -> ack);
                return true;
            } catch (IOException e) {
                LOG.fine(() -> "A semi-sync ack to the master failed: " + e);
                return false;
            }
        }
    }

    /**
     * Reads each event's exact bytes (header, body, checksum) instead of parsing it. The header
     * handed to the connector has type UNKNOWN so it tracks nothing from our events.
     */
    static final class RawCapture extends EventDeserializer {
        /** Each event packet starts with {@code 0xEF flags} (the master's semi-sync framing). */
        private final boolean semiSync;

        RawCapture(boolean semiSync) {
            this.semiSync = semiSync;
        }

        @Override
        public Event nextEvent(ByteArrayInputStream in) throws IOException {
            if (in.peek() == -1) {
                return null;
            }
            boolean needAck = false;
            if (semiSync) {
                int magic = in.read();
                if (magic != 0xEF) {
                    throw new IOException("The master sent an event without the semi-sync header (0x"
                            + Integer.toHexString(magic) + " instead of 0xef)");
                }
                needAck = (in.read() & 0x01) != 0; // k_packet_flag_sync
            }
            byte[] header = in.read(LogEvent.LOG_EVENT_HEADER_LEN);
            long size = LogEvent.uint32(header, LogEvent.EVENT_LEN_OFFSET);
            if (size < LogEvent.LOG_EVENT_HEADER_LEN || size > Integer.MAX_VALUE - 16) {
                throw new IOException("The master sent an event header claiming " + size + " bytes");
            }
            byte[] event = new byte[(int) size];
            System.arraycopy(header, 0, event, 0, header.length);
            in.fill(event, header.length, event.length - header.length);
            EventHeaderV4 eventHeader = new EventHeaderV4();
            eventHeader.setEventType(EventType.UNKNOWN);
            eventHeader.setEventLength(size);
            eventHeader.setNextPosition(LogEvent.logPos(event));
            return new Event(eventHeader, new RawEventData(event, needAck));
        }
    }
}
