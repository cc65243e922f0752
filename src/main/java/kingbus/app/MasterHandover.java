package kingbus.app;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import kingbus.raft.RaftNode;
import kingbus.syncer.BinlogSyncer;

/**
 * Decides when a leader that cannot reach the master should leave the leadership to a member that can: its route to
 * the master broken, a firewall, a link gone silent, while the rest of the cluster still reaches the master.
 *
 * <p>Hearing nothing from the master is not enough: the master may be down for every node, and a new leader would
 * do no better. So a leader whose syncer has heard nothing from the master for {@code after}
 * ({@code kingbus.master.handover-seconds}) asks the group, on every check, by a broadcast; each follower that hears
 * it logs in to the master as the syncer would (one try at a time, at most one every {@link #PROBE_INTERVAL}, less
 * often after failed ones) and
 * answers when it could. Once a member has answered within {@link #REACHED_TTL}, {@link #check} names it and
 * {@link KingbusNode} leaves the Raft group for a while, as a leader with a full disk does, so that the others
 * elect a leader among themselves. Which of them leads is the election's choice (the most complete log, then the
 * view's order), not this class's: when that one cannot reach the master either, it hands over in turn.
 *
 * <p>Thread-safe: broadcasts arrive on JGroups threads, {@link #check} runs on the leadership watch, probes on a
 * thread of their own.
 */
final class MasterHandover {

    private static final Logger LOG = Logger.getLogger(MasterHandover.class.getName());
    private static final String TOPIC = "master";
    private static final byte[] LOST = "lost".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REACHED = "reached".getBytes(StandardCharsets.UTF_8);
    /** A follower logs in to the master at most this often while a leader says it cannot. */
    static final Duration PROBE_INTERVAL = Duration.ofSeconds(5);
    /**
     * After failed probes the interval doubles up to this (MariaDB's {@code MASTER_CONNECT_RETRY} default): a hung
     * master counts each probe that timed out against {@code max_connect_errors} for this host.
     */
    static final Duration MAX_PROBE_INTERVAL = Duration.ofSeconds(60);
    /** How long to wait for the master's answer in a probe: the connection and the login each. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);
    /** A member's answer counts this long. */
    static final Duration REACHED_TTL = Duration.ofSeconds(10);

    private final RaftNode raft;
    private final BinlogSyncer syncer;
    private final Duration after;
    private final ThreadFactory threads;
    /** Members that logged in to the master, with {@link System#nanoTime} of their answer. */
    private final Map<String, Long> reachedAt = new ConcurrentHashMap<>();
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile long lastProbeNanos = System.nanoTime() - PROBE_INTERVAL.toNanos();
    /** The wait before the next probe: {@link #PROBE_INTERVAL}, longer after failed ones. */
    private volatile Duration probeInterval = PROBE_INTERVAL;
    /** The last probe's outcome (empty: logged in), so that only a change is logged. */
    private volatile Optional<String> lastProbe;

    /**
     * @param after how long the leader's syncer may hear nothing from the master; zero never hands over
     */
    MasterHandover(RaftNode raft, BinlogSyncer syncer, Duration after, ThreadFactory threads) {
        this.raft = raft;
        this.syncer = syncer;
        this.after = after;
        this.threads = threads;
    }

    /** Listens to the group's broadcasts from now on; call once, before {@link #check}. */
    void start() {
        raft.addBroadcastListener(TOPIC, this::onMessage);
    }

    /**
     * On the leader, once a second: the member that reached the master lately, when this leader has heard nothing
     * from it for too long and should hand over; otherwise empty. Asks the group whenever it has heard nothing for
     * too long.
     */
    Optional<String> check() {
        if (after.isZero() || !raft.isLeader() || syncer.silentFor().compareTo(after) < 0) {
            return Optional.empty();
        }
        raft.broadcast(TOPIC, LOST);
        long now = System.nanoTime();
        return reachedAt.entrySet().stream()
                .filter(answer -> !answer.getKey().equals(raft.nodeId()))
                .filter(answer -> now - answer.getValue() <= REACHED_TTL.toNanos())
                .map(Map.Entry::getKey)
                .findFirst();
    }

    private void onMessage(String sender, byte[] payload) {
        if (Arrays.equals(payload, REACHED)) {
            reachedAt.put(sender, System.nanoTime());
        } else if (Arrays.equals(payload, LOST) && !sender.equals(raft.nodeId()) && !raft.isLeader()) {
            probeSoon(sender);
        }
    }

    private void probeSoon(String leader) {
        long now = System.nanoTime();
        if (now - lastProbeNanos < probeInterval.toNanos() || !probing.compareAndSet(false, true)) {
            return;
        }
        lastProbeNanos = now;
        Thread probe = threads.newThread(() -> {
            try {
                probe(leader);
            } finally {
                probing.set(false);
            }
        });
        probe.setName("kingbus-master-probe");
        probe.setDaemon(true);
        probe.start();
    }

    private void probe(String leader) {
        Optional<String> problem = syncer.probeMaster(PROBE_TIMEOUT);
        probeInterval = nextProbeInterval(probeInterval, problem.isEmpty());
        if (problem.isEmpty()) {
            raft.broadcast(TOPIC, REACHED);
        }
        Optional<String> before = lastProbe;
        lastProbe = problem;
        if (before == null || before.isPresent() != problem.isPresent()) {
            LOG.info(() -> "The leader " + leader + " hears nothing from the master " + syncer.master() + "; this node "
                    + problem.map(why -> "cannot log in to it either: " + why)
                            .orElse("logged in to it and told the leader"));
        }
    }

    /** The wait before the probe after one that waited {@code current}: back to the shortest once one got in. */
    static Duration nextProbeInterval(Duration current, boolean reached) {
        if (reached) {
            return PROBE_INTERVAL;
        }
        Duration doubled = current.multipliedBy(2);
        return doubled.compareTo(MAX_PROBE_INTERVAL) > 0 ? MAX_PROBE_INTERVAL : doubled;
    }
}
