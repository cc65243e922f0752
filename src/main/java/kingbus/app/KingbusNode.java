package kingbus.app;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import kingbus.config.KingbusConfig;
import kingbus.gtid.GtidList;
import kingbus.raft.EntryCodec;
import kingbus.raft.MasterChoice;
import kingbus.raft.PurgeCoordinator;
import kingbus.raft.RaftNode;
import kingbus.server.MysqlServer;
import kingbus.server.ServerSettings;
import kingbus.store.AppendResult;
import kingbus.store.BinlogStore;
import kingbus.store.StoreCorruptException;
import kingbus.store.StoreFormatException;
import kingbus.syncer.BinlogSyncer;
import kingbus.syncer.MasterProbe;

/**
 * Starts and stops one Kingbus node in order: store, Raft, MySQL listener, and (on the leader
 * only) the syncer. Holds the running parts for health checks, metrics and the admin API.
 *
 * <p>A failure at start is caught, logged once and kept in {@link #startupProblems()} so the
 * application stays up and reports not ready (a CDI start observer that throws would take the whole
 * application down).
 *
 * <p>Application-scoped and thread-safe: the parts are published through volatile fields; leadership
 * changes are handled one at a time under this object's lock.
 */
@ApplicationScoped
public class KingbusNode {

    private static final Logger LOG = Logger.getLogger(KingbusNode.class.getName());
    /** A leader that left the group (it could not append, or reach the master) stays out at least this long. */
    private static final Duration REJOIN_AFTER = Duration.ofSeconds(5);

    @Inject
    KingbusConfig config;

    @Resource(lookup = "concurrent/kingbus")
    ManagedExecutorService executor;

    @Resource(lookup = "concurrent/kingbusThreads")
    ManagedThreadFactory threadFactory;

    private volatile BinlogStore store;
    private volatile RaftNode raft;
    private volatile PurgeCoordinator purger;
    private volatile MysqlServer server;
    private volatile BinlogSyncer syncer;
    private volatile MasterHandover masterHandover;
    private volatile List<String> startupProblems = List.of();
    private volatile boolean started;
    private volatile boolean syncerPaused;
    private volatile boolean stopping;
    private volatile String storeDamage;
    /**
     * Why this node left the Raft group for now (its disk filled up while it led, or it could not reach the master
     * while another member could), or null while it is in it.
     */
    private volatile String outOfGroup;
    private long outOfGroupSince;
    /** True when this node left the group for its full disk: it joins again only once the disk has room. */
    private boolean outForDisk;
    /** Consecutive leadership checks that found this leader's appends waiting. */
    private int leaderBlockedChecks;

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
        try {
            start();
        } catch (Exception | LinkageError e) {
            String problem = "Kingbus failed to start: " + e.getMessage();
            if (e instanceof StoreCorruptException || e instanceof StoreFormatException) {
                storeDamage = e instanceof StoreCorruptException ? e.getMessage() : null;
                LOG.severe(problem); // the message says it all; no stack trace
            } else {
                LOG.log(Level.SEVERE, problem, e);
            }
            startupProblems = List.of(problem);
            stopParts();
        } finally {
            started = true;
        }
    }

    private void start() throws Exception {
        List<String> problems = config.problems();
        if (!problems.isEmpty()) {
            startupProblems = problems.stream().map(p -> "Bad setting: " + p).toList();
            LOG.severe("Kingbus configuration is invalid, not starting: " + String.join("; ", problems));
            return;
        }
        ThreadFactory threads = threadFactory;
        store = BinlogStore.open(config.dataDir().resolve(config.nodeName()).resolve("store"));
        store.minFreeBytes(config.storeMinFreeBytes()).zstdLevel(config.storeZstdLevel()); // stopParts closes it
        List<RaftNode.Member> members = config.raftMemberList().stream().map(RaftNode.Member::parse).toList();
        raft = new RaftNode(new RaftNode.Settings(config.nodeName(), members,
                config.dataDir().resolve(config.nodeName()).resolve("raft"), config.raftMaxLogBytes(),
                config.raftMaxResendBytes()), store).storeSyncMillis(config.storeSyncMillis());
        RaftNode.Member self = members.stream().filter(m -> m.id().equals(config.nodeName())).findFirst().orElseThrow();
        String listenHost = config.mysqlHost();
        String advertised = (listenHost.equals("0.0.0.0") || listenHost.equals("::") ? self.host() : listenHost) + ":"
                + config.mysqlPort();
        raft.snapshotFetcher(new SnapshotCatchUp(store, config.replicaUser(), config.replicaPassword(),
                config.serverId(), config.raftMaxEntryBytes(), config.mysqlRequireTls(), threads), advertised);
        raft.addRoleListener(role -> executor.submit(this::onLeadershipChange));
        raft.addMasterChoiceListener(this::onMasterChoice);
        startRaft();
        purger = new PurgeCoordinator(raft, store, new PurgeCoordinator.Retention(config.retentionMaxBytes(),
                config.retentionMaxAge(), config.retentionCheckInterval()));
        purger.start();

        if (config.replicaPassword().isEmpty()) {
            LOG.warning("kingbus.replica.password is empty: replicas log in as '" + config.replicaUser()
                    + "' with an empty password. Set it before exposing the MySQL port.");
        }
        SSLContext listenerTls = null;
        if (config.tlsKeystore().isPresent()) {
            try {
                listenerTls = TlsContexts.server(config.tlsKeystore().get(), config.tlsKeystorePassword());
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("Cannot read the TLS keystore KINGBUS_TLS_KEYSTORE='"
                        + config.tlsKeystore().get() + "': " + e.getMessage(), e);
            }
        }
        server = new MysqlServer(new ServerSettings(config.mysqlHost(), config.mysqlPort(), config.serverId(),
                config.replicaUser(), config.replicaPassword(), config.adminUser(), config.adminPassword(),
                config.maxConnections(), config.idleTimeout(), listenerTls, config.mysqlRequireTls(),
                config.mysqlAuthPlugin(), config.netWriteTimeout()), store, purger, threads)
                .masterSwitch((host, port) -> chooseMaster(new MasterChoice(host, port), true));
        server.start();
        boolean tlsOffered = listenerTls != null;
        LOG.info(() -> "MySQL protocol listener on " + config.mysqlHost() + ":" + server.boundPort()
                + (tlsOffered ? (config.mysqlRequireTls() ? " (TLS required)" : " (TLS offered)") : "")
                + ", logins with " + config.mysqlAuthPlugin());

        if (master().isEmpty()) {
            LOG.warning("No master configured (kingbus.master.host) nor chosen through the admin API: serving the"
                    + " stored binlog only");
        } else {
            ensureSyncer();
        }
        BinlogStore opened = store;
        executor.submit(() -> {
            long begin = System.nanoTime();
            if (opened.verifyUncheckedAtOpen()) {
                LOG.info(() -> "Binlog store verified in full (its older part in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin) + " ms)");
            }
        });
        LOG.info(() -> "Kingbus node " + config.nodeName() + " started");
    }

    /**
     * Creates the syncer toward {@link #master()}, its master handover and the leadership watch, once: at start when
     * there is a master, or when the operators choose one later.
     */
    private synchronized void ensureSyncer() {
        Optional<MasterChoice> master = master();
        if (syncer != null || stopping || master.isEmpty()) {
            return;
        }
        syncer = new BinlogSyncer(syncerSettings(master.get()),
                this::committedEnd,
                entry -> raft.propose(entry).thenApply(result -> result != AppendResult.REJECTED),
                threadFactory);
        masterHandover = new MasterHandover(raft, syncer, config.masterHandover(), threadFactory);
        masterHandover.start();
        executor.submit(this::onLeadershipChange);
        Thread watch = threadFactory.newThread(this::watchLeadership);
        watch.setName("kingbus-leadership-watch");
        watch.setDaemon(true);
        watch.start();
    }

    /** The syncer's settings toward {@code master}: the account, TLS and timing of {@code kingbus.master.*}. */
    private BinlogSyncer.Settings syncerSettings(MasterChoice master) {
        BinlogSyncer.MasterTls masterTls = BinlogSyncer.MasterTls.DISABLED;
        if (!config.masterSslMode().equals("DISABLED")) {
            SSLContext trusting = null;
            if (config.masterSslCa().isPresent()) {
                try {
                    trusting = TlsContexts.trusting(config.masterSslCa().get());
                } catch (IOException | GeneralSecurityException e) {
                    throw new IllegalStateException("Cannot read the master's CA kingbus.master.ssl-ca='"
                            + config.masterSslCa().get() + "': " + e.getMessage(), e);
                }
            }
            masterTls = new BinlogSyncer.MasterTls(config.masterSslMode(), config.masterSslCa().orElse(null),
                    trusting);
        }
        return new BinlogSyncer.Settings(master.host(), master.port(),
                config.masterUser(), config.masterPassword(), config.upstreamServerId(), config.masterHeartbeat(),
                config.raftMaxEntryBytes(), 4, Duration.ofMillis(200), Duration.ofSeconds(10), masterTls,
                config.masterSemiSync(), config.masterNetTimeout(), config.serverId());
    }

    /**
     * The master this node's syncer pulls from: the one the operators chose through the admin API (committed in
     * Raft, the same on every node), else the configured one ({@code kingbus.master.host} and {@code port}).
     */
    public Optional<MasterChoice> master() {
        RaftNode r = raft;
        return (r == null ? Optional.<MasterChoice>empty() : r.masterChoice()).or(this::configuredMaster);
    }

    /** The master of this node's configuration, or empty when {@code kingbus.master.host} is not set. */
    public Optional<MasterChoice> configuredMaster() {
        return config.masterHost().map(host -> new MasterChoice(host, config.masterPort()));
    }

    /**
     * A MASTER entry was applied or a snapshot read (on RAFT's thread): the syncer pulls from the master now in force
     * from its next connection on, or stops when there is none. A node without a syncer yet gets one.
     */
    private void onMasterChoice(Optional<MasterChoice> chosen) {
        Optional<MasterChoice> master = chosen.or(this::configuredMaster);
        BinlogSyncer s = syncer;
        if (s == null) {
            if (master.isPresent() && server != null) { // at start, the syncer is made after Raft's replay
                executor.submit(this::ensureSyncer);
            }
            return;
        }
        if (master.isPresent()) {
            s.repoint(master.get());
        } else if (s.isRunning()) {
            LOG.warning("No master chosen nor configured any more: stopping the syncer");
            executor.submit(s::stop);
        }
    }

    /**
     * Commits the operators' master choice through Raft, for every node (null: back to each node's configured
     * master), and returns once it is applied here. With {@code check}, a new master is first queried with the
     * syncer's account ({@link MasterProbe}) and refused when the syncer could not pull from it.
     *
     * @throws MasterRefusedException when the check finds the master unfit; nothing is committed
     * @throws IllegalStateException when it cannot be committed (no leader, a timeout)
     */
    public void chooseMaster(MasterChoice choice, boolean check) {
        RaftNode r = raft;
        if (r == null) {
            throw new IllegalStateException("Raft is not running on this node");
        }
        if (r.leaderId() == null) {
            throw new IllegalStateException("No Raft leader (no majority of the members reachable): the master"
                    + " choice cannot be committed now");
        }
        if (check && choice != null) {
            BinlogStore s = store;
            Optional<String> problem = MasterProbe.problemWith(choice, syncerSettings(choice),
                    s == null ? GtidList.EMPTY : s.gtidState());
            if (problem.isPresent()) {
                throw new MasterRefusedException("Kingbus will not pull from " + choice + ": " + problem.get()
                        + ". Nothing was changed");
            }
        }
        try {
            r.propose(EntryCodec.master(choice)).get(10, TimeUnit.SECONDS);
            // A follower's proposal completes once the leader committed it; this node applies it a moment later.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!java.util.Objects.equals(r.masterChoice().orElse(null), choice) && System.nanoTime() < deadline) {
                Thread.sleep(20); // polling RAFT's applied state: no event to wait on from here
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while committing the master choice");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("The master choice could not be committed through Raft (" + cause
                    + "); is there a leader?", cause);
        }
        LOG.info(() -> choice == null ? "An operator cleared the master choice: each node's configured master again"
                : "An operator chose the master " + choice + " for the cluster");
    }

    /**
     * Joins the Raft group, retrying for a while when the port is not free yet (a node restarted
     * right after kill -9 can find it held by connections of its previous life).
     */
    private void startRaft() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long backoffMillis = 250;
        while (true) {
            try {
                raft.start();
                return;
            } catch (Exception e) {
                raft.close();
                if (System.nanoTime() > deadline || !causedByBind(e)) {
                    throw e;
                }
                LOG.warning("Cannot join the Raft group yet (" + e.getMessage() + "); retrying");
                Thread.sleep(backoffMillis); // bind retry backoff: there is no event to wait for
                backoffMillis = Math.min(backoffMillis * 2, 4000);
            }
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.BindException) {
                return true;
            }
        }
        return false;
    }

    private Optional<BinlogSyncer.ResumePoint> committedEnd() {
        return heldEnd(store);
    }

    /**
     * Where the binlog {@code store} holds ends, for a syncer that goes on from there: its newest file, that file's
     * end and opening event, and the GTID position held; empty while it holds nothing.
     */
    static Optional<BinlogSyncer.ResumePoint> heldEnd(BinlogStore store) {
        String gtidPosition = store.gtidState().perDomain().toString();
        return store.lastFile().map(f -> new BinlogSyncer.ResumePoint(f.name(), f.endPosition(), gtidPosition,
                f.rotated(), store.fileStart(f.name()).orElse(null)));
    }

    /**
     * Runs the syncer exactly while this node leads. A new leader first commits a barrier entry,
     * so every entry of earlier terms is applied before the syncer reads the committed end.
     */
    private synchronized void onLeadershipChange() {
        BinlogSyncer s = syncer;
        RaftNode r = raft;
        if (s == null || r == null) {
            return;
        }
        if (!r.isLeader()) {
            if (s.isRunning()) {
                LOG.info("Not the Raft leader any more: stopping the syncer");
                s.stop();
            }
            return;
        }
        if (master().isEmpty()) {
            if (s.isRunning()) {
                s.stop();
            }
            return;
        }
        if (s.isRunning() || syncerPaused) {
            return;
        }
        try {
            r.propose(EntryCodec.barrier(r.term())).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning("Could not commit the leader's barrier entry, not starting the syncer yet (retried while"
                    + " this node leads): " + e);
            return;
        }
        if (r.isLeader()) {
            LOG.info("Raft leader: starting the syncer");
            s.start();
        }
    }

    /** Operator stop: the syncer stops and stays stopped, even across leadership changes. */
    public void pauseSyncer() {
        syncerPaused = true;
        BinlogSyncer s = syncer;
        if (s != null) {
            LOG.info("Syncer paused by an operator");
            s.stop();
        }
    }

    /** Undoes {@link #pauseSyncer()}: the syncer runs again if this node leads. */
    public void resumeSyncer() {
        if (syncerPaused) {
            LOG.info("Syncer resumed by an operator");
        }
        syncerPaused = false;
        executor.submit(this::onLeadershipChange);
    }

    public boolean isSyncerPaused() {
        return syncerPaused;
    }

    @PreDestroy
    void stop() {
        stopParts();
        LOG.info("Kingbus node stopped");
    }

    /**
     * A safety net beside the role listener: every second, a leader whose syncer is not running
     * (its barrier entry timed out, say) tries again; a follower whose syncer runs stops it. A
     * leader that committed nothing for two seconds proposes a barrier (a no-op entry).
     */
    private void watchLeadership() {
        long seenCommit = -1;
        int idleSeconds = 0;
        while (!stopping) {
            try {
                Thread.sleep(1000); // periodic re-check; role changes themselves arrive through the listener
                handOverWhenStuck();
                onLeadershipChange();
                RaftNode r = raft;
                if (r != null && r.isLeader()) {
                    long commit = r.commitIndex();
                    idleSeconds = commit == seenCommit ? idleSeconds + 1 : 0;
                    seenCommit = commit;
                    if (idleSeconds >= 2) {
                        // Followers commit only entries verified by a later entry of this leader
                        // (LeaderCommitTracker): an idle leader adds a no-op so they never wait for a write.
                        r.propose(EntryCodec.barrier(r.term()));
                        idleSeconds = 0;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warning("Leadership check failed: " + e);
            }
        }
    }

    /**
     * Leaves the leadership to the other members when this leader cannot do its job:
     * <ul>
     * <li>its appends wait (its disk is full, its writes fail): it commits nothing more, and RAFT applies on one
     * thread, so the whole group would wait with it. After two checks in a row it leaves;</li>
     * <li>it has heard nothing from the master for {@code kingbus.master.handover-seconds} while another member
     * logs in to it ({@link MasterHandover}): it leaves, so that one of the others pulls.</li>
     * </ul>
     * It leaves only when the members it reaches can elect another leader without it, and keeps serving what it
     * holds meanwhile; at least {@link #REJOIN_AFTER} later (for the disk, once it has room again) it joins again
     * as a follower and catches up.
     */
    private synchronized void handOverWhenStuck() {
        RaftNode r = raft;
        BinlogStore st = store;
        if (stopping || r == null || st == null) {
            return;
        }
        if (outOfGroup != null) {
            boolean mayRejoin = !outForDisk || st.diskShortage().isEmpty();
            if (mayRejoin && System.nanoTime() - outOfGroupSince >= REJOIN_AFTER.toNanos()) {
                LOG.info(outForDisk ? "The disk has room again: joining the Raft group again"
                        : "Joining the Raft group again, as a follower");
                try {
                    startRaft();
                    outOfGroup = null;
                } catch (Exception e) {
                    LOG.warning("Could not join the Raft group again (tried again every second): " + e);
                }
            }
            return;
        }
        Optional<String> blocked = r.isLeader() ? st.writeBlocked() : Optional.empty();
        leaderBlockedChecks = blocked.isPresent() ? leaderBlockedChecks + 1 : 0;
        if (leaderBlockedChecks >= 2 && r.othersHoldMajority()) {
            leaderBlockedChecks = 0;
            leaveGroup(true, "left the Raft group so that a member that can write leads (" + blocked.get()
                    + "); it joins again once its disk has room", "The Raft leader cannot append: " + blocked.get()
                    + ". Leaving the Raft group so that another member leads; serving what this node holds until its"
                    + " disk has room");
            return;
        }
        MasterHandover handover = masterHandover;
        BinlogSyncer s = syncer;
        Optional<String> reached = handover == null ? Optional.empty() : handover.check();
        if (reached.isPresent() && r.othersHoldMajority()) {
            String silence = s.silentFor().toSeconds() + " s";
            leaveGroup(false, "left the Raft group so that a member that reaches the master leads (this node heard"
                    + " nothing from it for " + silence + ")", "This leader has heard nothing from the master "
                    + s.master() + " for " + silence + (s.lastError() == null ? "" : " (" + s.lastError() + ")")
                    + ", and " + reached.get() + " logs in to it: leaving the Raft group so that a member that reaches"
                    + " the master leads; joining again as a follower in " + REJOIN_AFTER.toSeconds() + " s");
        }
    }

    private void leaveGroup(boolean forDisk, String reason, String logLine) {
        outOfGroup = reason;
        outForDisk = forDisk;
        outOfGroupSince = System.nanoTime();
        if (forDisk) {
            LOG.severe(logLine);
        } else {
            LOG.warning(logLine);
        }
        BinlogSyncer s = syncer;
        if (s != null) {
            s.stop();
        }
        raft.close();
    }

    /** Why this node is out of the Raft group for now, if it is ({@link #handOverWhenStuck}). */
    public Optional<String> outOfGroup() {
        return Optional.ofNullable(outOfGroup);
    }

    private synchronized void stopParts() {
        stopping = true;
        BinlogSyncer s = syncer;
        if (s != null) {
            s.stop();
        }
        MysqlServer m = server;
        if (m != null) {
            m.close();
        }
        PurgeCoordinator p = purger;
        if (p != null) {
            p.close();
        }
        RaftNode r = raft;
        if (r != null) {
            r.close();
        }
        BinlogStore st = store;
        if (st != null) {
            st.close();
        }
    }

    /** True once the start sequence has run (successfully or not). */
    public boolean isStarted() {
        return started;
    }

    /**
     * Damage found in the binlog store, at start or since (the node then serves nothing from it),
     * naming the data directory and the record.
     */
    public Optional<String> storeDamage() {
        BinlogStore st = store;
        if (storeDamage == null && st != null && st.damage() != null) {
            return Optional.of(st.damage().getMessage());
        }
        return Optional.ofNullable(storeDamage);
    }

    /** Why the node did not start, one line each; empty when it did. */
    public List<String> startupProblems() {
        return startupProblems;
    }

    public Optional<BinlogStore> store() {
        return Optional.ofNullable(store);
    }

    public Optional<PurgeCoordinator> purger() {
        return Optional.ofNullable(purger);
    }

    public Optional<RaftNode> raft() {
        return Optional.ofNullable(raft);
    }

    public Optional<MysqlServer> server() {
        return Optional.ofNullable(server);
    }

    public Optional<BinlogSyncer> syncer() {
        return Optional.ofNullable(syncer);
    }

    public KingbusConfig config() {
        return config;
    }
}
