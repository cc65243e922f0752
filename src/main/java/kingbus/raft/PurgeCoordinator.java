package kingbus.raft;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import kingbus.store.ActiveReader;
import kingbus.store.AppendResult;
import kingbus.store.BinlogPurger;
import kingbus.store.BinlogStore;
import kingbus.store.PurgePlan;
import kingbus.store.PurgeRequest;

/**
 * Purges binlog files through Raft, so every node drops the same files at the same point of the log,
 * and never a file a replica connected to any node is still reading.
 *
 * <h2>What it does</h2>
 * Every node broadcasts, once a second, which file each of its dump sessions is in
 * ({@link BinlogStore#readers()}); each node keeps the latest report of every member, so any node
 * can plan a purge against every replica of the cluster ({@link PurgePlan}). A plan is committed as
 * a PURGE entry (proposed here; a follower's proposal goes to the leader through REDIRECT).
 * The leader applies the retention settings every check interval.
 *
 * <h2>Limits</h2>
 * Reports are up to a second old: a replica that connects to an old file in the second before a
 * purge commits can lose it (its dump then ends with 1236 naming the purge). A member's report is
 * trusted for {@link #REPORT_TTL}; a member not heard from for longer (down, cut off) holds nothing back.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: reports arrive on JGroups threads, purges are asked for by sessions and the admin API,
 * retention runs on its own scheduler thread.
 */
public final class PurgeCoordinator implements BinlogPurger, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PurgeCoordinator.class.getName());
    /** The broadcast topic of the reader reports. */
    private static final String REPORT_TOPIC = "readers";
    static final Duration REPORT_INTERVAL = Duration.ofSeconds(1);
    static final Duration REPORT_TTL = Duration.ofSeconds(5);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Retention from config.
     *
     * @param maxBytes keep at most this many bytes of binlog (whole files; 0 = no limit)
     * @param maxAge drop files the master closed longer ago than this (zero = no limit)
     * @param checkInterval how often the leader checks
     */
    public record Retention(long maxBytes, Duration maxAge, Duration checkInterval) {
        public static final Retention NONE = new Retention(0, Duration.ZERO, Duration.ofMinutes(1));

        boolean enabled() {
            return maxBytes > 0 || !maxAge.isZero();
        }
    }

    private record Report(List<ActiveReader> readers, long receivedNanos) {}

    private final RaftNode raft;
    private final BinlogStore store;
    private final Retention retention;
    private final Map<String, Report> reports = new ConcurrentHashMap<>();
    /** Two threads: a retention check waiting up to 30 s for its commit must not delay the reader reports. */
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "kingbus-purge");
        thread.setDaemon(true);
        return thread;
    });
    private volatile String retentionHeldBack;

    public PurgeCoordinator(RaftNode raft, BinlogStore store, Retention retention) {
        this.raft = raft;
        this.store = store;
        this.retention = retention;
    }

    /** Starts reporting this node's readers and, on the leader, applying retention. */
    public void start() {
        raft.addBroadcastListener(REPORT_TOPIC, this::onReport);
        scheduler.scheduleWithFixedDelay(this::report, 0, REPORT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        if (retention.enabled()) {
            long every = retention.checkInterval().toMillis();
            scheduler.scheduleWithFixedDelay(this::applyRetention, every, every, TimeUnit.MILLISECONDS);
            LOG.info(() -> "Binlog retention: keep at most " + (retention.maxBytes() > 0 ? retention.maxBytes()
                    + " bytes" : "any size") + ", files closed within " + (retention.maxAge().isZero() ? "any time"
                    : retention.maxAge()) + "; checked every " + retention.checkInterval() + " by the leader");
        }
    }

    @Override
    public PurgePlan purge(PurgeRequest request) {
        PurgePlan plan = PurgePlan.of(store.files(), request, clusterReaders());
        commit(plan, request.toString());
        return plan;
    }

    /** Why the last retention check dropped less than the settings ask for, if it did. */
    public Optional<String> retentionHeldBack() {
        return Optional.ofNullable(retentionHeldBack);
    }

    /** The readers of every member: this node's now, the others' as last reported within {@link #REPORT_TTL}. */
    public List<ActiveReader> clusterReaders() {
        List<ActiveReader> all = new ArrayList<>(local());
        long now = System.nanoTime();
        reports.forEach((node, report) -> {
            if (!node.equals(raft.nodeId()) && now - report.receivedNanos < REPORT_TTL.toNanos()) {
                all.addAll(report.readers);
            }
        });
        return all;
    }

    private List<ActiveReader> local() {
        return store.readers().stream()
                .map(r -> new ActiveReader(r.reader() + " on node " + raft.nodeId(), r.file())).toList();
    }

    private void applyRetention() {
        try {
            if (!raft.isLeader()) {
                return;
            }
            PurgePlan plan = PurgePlan.retention(store.files(), retention.maxBytes(), retention.maxAge(),
                    Instant.now(), clusterReaders());
            String heldBack = plan.heldBackMessage().orElse(null);
            if (heldBack != null && !heldBack.equals(retentionHeldBack)) {
                LOG.warning("Binlog retention is held back: " + heldBack);
            }
            retentionHeldBack = heldBack;
            commit(plan, "retention");
        } catch (RuntimeException e) {
            LOG.warning("Binlog retention check failed: " + e.getMessage());
        }
    }

    private void commit(PurgePlan plan, String why) {
        if (plan.firstKept().isEmpty()) {
            return;
        }
        String firstKept = plan.firstKept().get();
        AppendResult result;
        try {
            result = raft.propose(EntryCodec.purge(firstKept)).get(COMMIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while committing the purge to '" + firstKept + "'");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("The purge to '" + firstKept + "' could not be committed through Raft ("
                    + cause + "); is there a leader?", cause);
        }
        if (result == AppendResult.REJECTED) {
            throw new IllegalStateException("The purge to '" + firstKept + "' was refused: the cluster no longer"
                    + " holds that file");
        }
        LOG.info(() -> "Purge (" + why + ") committed: binlog files before " + firstKept + " dropped on every node"
                + plan.heldBackMessage().map(m -> "; " + m).orElse(""));
    }

    private void report() {
        try {
            StringBuilder text = new StringBuilder();
            for (ActiveReader reader : local()) {
                text.append(reader.file()).append('\t').append(reader.reader().replace('\n', ' ')).append('\n');
            }
            raft.broadcast(REPORT_TOPIC, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.fine(() -> "Reader report not sent: " + e);
        }
    }

    private void onReport(String node, byte[] payload) {
        List<ActiveReader> readers = new ArrayList<>();
        for (String line : new String(payload, StandardCharsets.UTF_8).split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                readers.add(new ActiveReader(line.substring(tab + 1), line.substring(0, tab)));
            }
        }
        reports.put(node, new Report(List.copyOf(readers), System.nanoTime()));
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
