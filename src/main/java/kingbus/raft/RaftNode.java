package kingbus.raft;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import kingbus.store.AppendResult;
import kingbus.store.BinlogStore;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.protocols.raft.Role;
import org.jgroups.raft.RaftHandle;
import org.jgroups.stack.ProtocolStack;

/**
 * This node's membership in the Kingbus Raft group: a JGroups channel over TCP with a fixed
 * member list (TCPPING), JGroups-raft's {@code RAFT} with an fsync'd file log and bounded catch-up
 * batches ({@link BoundedResendRaft}), and the
 * {@link BinlogStateMachine} that applies committed entries to the store.
 *
 * <p>Proposals ({@link #propose}) complete once the entry is committed on a majority and applied on
 * this node; until then it is only <em>proposed</em>. Only the leader can propose.
 *
 * <p>Thread-safe. Role listeners are called on a JGroups thread and must not block.
 */
public final class RaftNode implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RaftNode.class.getName());
    private static final String CLUSTER_NAME = "kingbus";
    /** Beside JGroups-raft's files in the log directory: the newest entry the store applied ({@link AppliedIndex}). */
    static final String APPLIED_INDEX_FILE = "kingbus-applied-index";
    /** The operators' master choice, beside the Raft log (see {@link BinlogStateMachine}). */
    static final String MASTER_CHOICE_FILE = "kingbus-master-choice";

    /** One member of the group: its Raft id and the address its JGroups TCP transport binds. */
    public record Member(String id, String host, int port) {

        /** Parses {@code id@host:port}. */
        public static Member parse(String text) {
            String trimmed = text.trim();
            int at = trimmed.indexOf('@');
            int colon = trimmed.lastIndexOf(':');
            if (at <= 0 || colon < at + 2 || colon == trimmed.length() - 1) {
                throw new IllegalArgumentException("A Raft member must look like name@host:port, not '" + text + "'");
            }
            int port;
            try {
                port = Integer.parseInt(trimmed.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("A Raft member's port is not a number in '" + text + "'", e);
            }
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("A Raft member's port is out of range in '" + text + "'");
            }
            return new Member(trimmed.substring(0, at), trimmed.substring(at + 1, colon), port);
        }
    }

    /**
     * @param nodeId this node's Raft id; one of {@code members}
     * @param members every member of the group
     * @param logDir where the Raft log lives
     * @param maxLogSize bytes of log after which JGroups-raft takes a snapshot and truncates
     * @param maxResendBytes bound on the entry bytes in one catch-up message to a follower
     */
    public record Settings(String nodeId, List<Member> members, Path logDir, long maxLogSize, int maxResendBytes) {

        /** Settings with the default catch-up batch bound. */
        public Settings(String nodeId, List<Member> members, Path logDir, long maxLogSize) {
            this(nodeId, members, logDir, maxLogSize, BoundedResendRaft.DEFAULT_MAX_RESEND_BYTES);
        }

        public Member self() {
            return members.stream().filter(m -> m.id().equals(nodeId)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("This node '" + nodeId
                            + "' is not in the Raft member list " + members));
        }
    }

    private final Settings settings;
    private final BinlogStore store;
    private final List<Consumer<Role>> roleListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Optional<MasterChoice>>> masterListeners = new CopyOnWriteArrayList<>();
    /** The state machine of the current start, or null before the first. */
    private volatile BinlogStateMachine stateMachine;
    private final List<TopicListener> broadcastListeners = new CopyOnWriteArrayList<>();
    private volatile JChannel channel;
    private volatile RaftHandle raft;
    private volatile LeaderCommitTracker commitTracker;
    private SnapshotFetcher snapshotFetcher;
    private String advertisedAddress = "";
    private boolean tcpNoDelay = true;
    private long storeSyncMillis = BoundedResendRaft.DEFAULT_STORE_SYNC_MILLIS;

    public RaftNode(Settings settings, BinlogStore store) {
        this.settings = settings;
        this.store = store;
    }

    /**
     * How this node catches up from a snapshot it is behind, and the {@code host:port} of its own
     * MySQL listener that other members fetch from; call before {@link #start}.
     */
    public RaftNode snapshotFetcher(SnapshotFetcher fetcher, String advertisedAddress) {
        this.snapshotFetcher = fetcher;
        this.advertisedAddress = advertisedAddress;
        return this;
    }

    /** How often the store is synced (see {@link BoundedResendRaft#storeSyncMillis}); call before {@link #start}. */
    public RaftNode storeSyncMillis(long millis) {
        this.storeSyncMillis = millis;
        return this;
    }

    /**
     * Turns Nagle's algorithm back on for the members' connections (JGroups' default), for the latency bench's
     * baseline in the same run ({@code bench/raft-latency.sh}); call before {@link #start}.
     */
    RaftNode nagle() {
        this.tcpNoDelay = false;
        return this;
    }

    /** Joins the group, also again after {@link #close}. Returns once the channel is connected; a leader may come later. */
    public void start() throws Exception {
        Files.createDirectories(settings.logDir());
        JChannel ch = new JChannel(new ByteArrayInputStream(stackXml().getBytes(StandardCharsets.UTF_8)));
        ch.name(settings.nodeId());
        LeaderCommitTracker tracker = new LeaderCommitTracker();
        ch.getProtocolStack().insertProtocol(tracker, ProtocolStack.Position.BELOW, RAFT.class);
        FollowerSendQueues sendQueues = new FollowerSendQueues(); // right below RAFT, above the tracker
        ch.getProtocolStack().insertProtocol(sendQueues, ProtocolStack.Position.BELOW, RAFT.class);
        BinlogStateMachine stateMachine = new BinlogStateMachine(store, snapshotFetcher, advertisedAddress,
                settings.logDir().resolve(MASTER_CHOICE_FILE));
        stateMachine.onMasterChoice(choice -> masterListeners.forEach(l -> l.accept(Optional.ofNullable(choice))));
        this.stateMachine = stateMachine;
        tracker.busyWhen(() -> stateMachine.fetching() || store.writeBlocked().isPresent());
        RaftHandle handle = new RaftHandle(ch, stateMachine).raftId(settings.nodeId());
        RAFT protocol = handle.raft();
        ((BoundedResendRaft) protocol).maxResendBytes(settings.maxResendBytes()).storeSyncMillis(storeSyncMillis)
                .appliedIndex(settings.logDir().resolve(APPLIED_INDEX_FILE)).sendQueues(sendQueues).commitGuard(tracker);
        tracker.raft(protocol);
        protocol.logUseFsync(true);
        protocol.addRoleListener(this::onRoleChange);
        this.channel = ch;
        this.raft = handle;
        this.commitTracker = tracker;
        ch.setReceiver(new Receiver() {
            @Override
            public void receive(Message msg) {
                onBroadcast(msg);
            }
        });
        ch.connect(CLUSTER_NAME);
        LOG.info(() -> "Joined Raft group " + memberIds() + " as " + settings.nodeId() + " on "
                + settings.self().host() + ":" + settings.self().port());
    }

    private String stackXml() {
        Member self = settings.self();
        String initialHosts = settings.members().stream()
                .map(m -> m.host() + "[" + m.port() + "]")
                .collect(Collectors.joining(","));
        // tcp_nodelay: JGroups 5.5 leaves Nagle's algorithm on, so a small Raft message (an answer, a commit index)
        // sent while an earlier one is unacknowledged waited for the peer's delayed ACK, 40 ms on Linux: the p99 of
        // a follower's apply was 45-90 ms instead of about 20 (docs/BENCHMARKS.md, "Raft without Nagle").
        // FD_SOCK2 would bind every interface at bind_port+100: pin its address and port.
        // RAFT's log cache keeps the newest N entries whatever their size (1024 by default: up to 1 GiB
        // of heap with 1 MiB entries, and an entry is a whole transaction when that is larger: 8 held 80 MB
        // with 10 MB transactions); 4 holds the syncer's 4 entries in flight, and a miss only reads the log file.
        return """
                <config xmlns="urn:org:jgroups">
                  <TCP bind_addr="%1$s" bind_port="%2$d" port_range="0" tcp_nodelay="%9$s"
                       recv_buf_size="4M" send_buf_size="4M"
                       bundler.max_size="64K" bundler.use_single_sender_thread="false" diag.enabled="false"
                       thread_pool.min_threads="2" thread_pool.max_threads="32"/>
                  <TCPPING initial_hosts="%3$s" port_range="0" send_cache_on_join="true"/>
                  <MERGE3 min_interval="2000" max_interval="5000"/>
                  <FD_SOCK2 bind_addr="%1$s" offset="100" port_range="0"/>
                  <FD_ALL3 timeout="3000" interval="500"/>
                  <VERIFY_SUSPECT2 timeout="500"/>
                  <pbcast.NAKACK2 xmit_interval="200" use_mcast_xmit="false" discard_delivered_msgs="true"/>
                  <UNICAST3 xmit_interval="200" conn_expiry_timeout="0"/>
                  <pbcast.STABLE desired_avg_gossip="5000" max_bytes="8M"/>
                  <raft.NO_DUPES/>
                  <pbcast.GMS print_local_addr="false" join_timeout="%8$d" max_join_attempts="3"/>
                  <UFC max_credits="8M" min_threshold="0.4"/>
                  <FRAG4 frag_size="60K"/>
                  <raft.ELECTION vote_timeout="600"/>
                  <kingbus.raft.BoundedResendRaft members="%4$s" raft_id="%5$s" log_dir="%6$s" log_use_fsync="true"
                             max_log_size="%7$d" resend_interval="500" max_log_cache_size="4"/>
                  <raft.REDIRECT/>
                </config>
                """.formatted(self.host(), self.port(), initialHosts, memberIds(), settings.nodeId(),
                settings.logDir().toAbsolutePath(), settings.maxLogSize(), joinTimeoutMillis(), tcpNoDelay);
    }

    /**
     * How long GMS looks for other members before founding the group: a second, or almost nothing when
     * this node is the only member configured (it has nobody to find, and the wait was a second of every start).
     */
    private long joinTimeoutMillis() {
        return settings.members().size() == 1 ? 50 : 1000;
    }

    private String memberIds() {
        return settings.members().stream().map(Member::id).collect(Collectors.joining(","));
    }

    private void onRoleChange(Role role) {
        LOG.info(() -> "Raft role of " + settings.nodeId() + " is now " + role + " (term " + term() + ")");
        for (Consumer<Role> listener : roleListeners) {
            try {
                listener.accept(role);
            } catch (RuntimeException e) {
                LOG.warning("A Raft role listener failed: " + e);
            }
        }
    }

    /** The Raft protocol of this node's channel (null before {@link #start}); for tests in this package. */
    BoundedResendRaft protocol() {
        RaftHandle handle = raft;
        return handle == null ? null : (BoundedResendRaft) handle.raft();
    }

    /**
     * Sends a small message on {@code topic}, outside the Raft log, to every member this node can reach (itself
     * too), best effort: for state that is refreshed all the time (e.g. which files replicas read), never for
     * anything that must be agreed on.
     */
    public void broadcast(String topic, byte[] payload) {
        JChannel ch = channel;
        if (ch == null || !ch.isConnected()) {
            return;
        }
        byte[] id = settings.nodeId().getBytes(StandardCharsets.UTF_8);
        byte[] name = topic.getBytes(StandardCharsets.UTF_8);
        byte[] message = java.nio.ByteBuffer.allocate(2 * Short.BYTES + id.length + name.length + payload.length)
                .putShort((short) id.length).put(id).putShort((short) name.length).put(name).put(payload).array();
        try {
            ch.send(new BytesMessage(null, message));
        } catch (Exception e) {
            LOG.fine(() -> "A broadcast was not sent: " + e);
        }
    }

    /**
     * Called, on a JGroups thread, with the sender's Raft id and the payload of every {@link #broadcast} on
     * {@code topic}.
     */
    public void addBroadcastListener(String topic, BiConsumer<String, byte[]> listener) {
        broadcastListeners.add(new TopicListener(topic, listener));
    }

    private record TopicListener(String topic, BiConsumer<String, byte[]> listener) {
    }

    private void onBroadcast(Message msg) {
        try {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(msg.getArray(), msg.getOffset(), msg.getLength());
            String sender = readString(buffer);
            String topic = readString(buffer);
            byte[] payload = new byte[buffer.remaining()];
            buffer.get(payload);
            for (TopicListener listener : broadcastListeners) {
                if (listener.topic().equals(topic)) {
                    listener.listener().accept(sender, payload);
                }
            }
        } catch (RuntimeException e) {
            LOG.warning("Ignoring a malformed broadcast from " + msg.getSrc() + ": " + e);
        }
    }

    private static String readString(java.nio.ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.getShort()];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The master the operators chose through Raft ({@link MasterChoice}), as applied on this node so far; empty
     * when none is chosen (each node's configured master) or Raft is not started.
     */
    public Optional<MasterChoice> masterChoice() {
        BinlogStateMachine machine = stateMachine;
        return machine == null ? Optional.empty() : machine.masterChoice();
    }

    /**
     * Called with the operators' master choice (empty: none) each time a MASTER entry is applied or a snapshot
     * read, on RAFT's thread, before later entries are applied: the listener must not block.
     */
    public void addMasterChoiceListener(Consumer<Optional<MasterChoice>> listener) {
        masterListeners.add(listener);
    }

    /** Called with the new role whenever this node's role changes. */
    public void addRoleListener(Consumer<Role> listener) {
        roleListeners.add(listener);
    }

    /**
     * Proposes an entry. The future completes when it is committed on a majority and applied here,
     * with the store's verdict, or fails when this node is not (or stops being) the leader.
     */
    public CompletableFuture<AppendResult> propose(byte[] entry) {
        RaftHandle handle = raft;
        if (handle == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("Raft is not started"));
        }
        try {
            return handle.setAsync(entry, 0, entry.length).thenApply(reply ->
                    reply == null || reply.length == 0 ? AppendResult.DUPLICATE : AppendResult.values()[reply[0]]);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    public boolean isLeader() {
        RaftHandle handle = raft;
        return handle != null && handle.isLeader();
    }

    /** The leader's Raft id as this node knows it, or null. */
    public String leaderId() {
        RaftHandle handle = raft;
        Address leader = handle == null ? null : handle.leader();
        return leader == null ? null : leader.toString();
    }

    public long term() {
        RaftHandle handle = raft;
        return handle == null ? 0 : handle.currentTerm();
    }

    public long commitIndex() {
        RaftHandle handle = raft;
        return handle == null ? 0 : handle.commitIndex();
    }

    /**
     * The last entry applied to the store. JGroups-raft applies entries synchronously as it moves
     * its commit index, so this is the commit index; {@code RaftHandle.lastApplied()} is the last
     * entry appended to the log, which may not be committed yet.
     */
    public long lastApplied() {
        return commitIndex();
    }

    /**
     * The commit index this node knows the cluster has reached: its own on the leader, the highest
     * the leader announced on a follower (which may be ahead of what the follower's log holds).
     */
    public long knownCommitIndex() {
        long own = commitIndex();
        return isLeader() ? own : Math.max(own, announcedCommitIndex());
    }

    /** The highest commit index a leader has announced to this node in AppendEntries (0 on a node that only led). */
    public long announcedCommitIndex() {
        LeaderCommitTracker tracker = commitTracker;
        return tracker == null ? 0 : tracker.leaderCommit();
    }

    /**
     * How long, in milliseconds, this node has known of a committed entry it has not applied yet;
     * 0 when it has applied everything it knows to be committed.
     */
    public long applyLagMillis() {
        LeaderCommitTracker tracker = commitTracker;
        if (tracker == null || isLeader()) {
            return 0;
        }
        return TimeUnit.NANOSECONDS.toMillis(tracker.behindNanos(lastApplied(), System.nanoTime()));
    }

    /** On the leader: each member's match index (the last entry known to be in its log). Empty elsewhere. */
    public java.util.Map<String, Long> matchIndexes() {
        RaftHandle handle = raft;
        java.util.Map<String, Long> indexes = new java.util.TreeMap<>();
        if (handle != null && handle.isLeader() && handle.raft().commitTable() != null) {
            handle.raft().commitTable().forEach((address, entry) -> indexes.put(address.toString(), entry.matchIndex()));
        }
        return indexes;
    }

    public String nodeId() {
        return settings.nodeId();
    }

    public List<String> memberIdList() {
        return settings.members().stream().map(Member::id).toList();
    }

    /**
     * True when the other members this node reaches are a majority of the group without it: they can
     * elect a leader and commit if it leaves.
     */
    public boolean othersHoldMajority() {
        JChannel ch = channel;
        org.jgroups.View view = ch == null ? null : ch.getView();
        if (view == null) {
            return false;
        }
        Address self = ch.getAddress();
        long others = view.getMembers().stream().filter(member -> !member.equals(self)).count();
        return others >= settings.members().size() / 2 + 1;
    }

    /** True when the channel is connected and a leader is known. */
    public boolean hasLeader() {
        JChannel ch = channel;
        RaftHandle handle = raft;
        return ch != null && ch.isConnected() && handle != null && handle.leader() != null;
    }

    /**
     * Leaves the group, or does nothing when not in it. The log and the store stay: {@link #start} joins
     * again (as a follower when the others have a leader) and goes on from the last entry the store applied.
     */
    @Override
    public void close() {
        JChannel ch = channel;
        channel = null;
        raft = null;
        if (ch != null) {
            ch.close();
            LOG.info("Left the Raft group");
        }
    }
}
