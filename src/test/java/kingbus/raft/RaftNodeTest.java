package kingbus.raft;

import kingbus.testing.FixtureEvents;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kingbus.store.AppendResult;
import kingbus.store.BinlogStore;
import org.awaitility.Awaitility;
import org.jgroups.protocols.raft.FileBasedLog;
import org.jgroups.protocols.raft.LogEntries;
import org.jgroups.protocols.raft.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A single-node Raft group: the same code path as a cluster, with a real fsync'd log. */
class RaftNodeTest {

    @TempDir
    Path dir;

    /**
     * A one-member group n1 on a free port, its log under {@code dir/raft}. The port and the one JGroups' FD_SOCK2
     * takes 100 above it come from {@link kingbus.testing.Ports} (below the ephemeral range): an ephemeral port from
     * the kernel once left port + 100 taken by another test's connection ("failed to find an available port").
     */
    private RaftNode.Settings singleNode() throws java.io.IOException {
        int port = kingbus.testing.Ports.free();
        return new RaftNode.Settings("n1", List.of(RaftNode.Member.parse("n1@127.0.0.1:" + port)), dir.resolve("raft"),
                1 << 20);
    }

    @Test
    void singleNodeCommitsAppliesAndRecoversAfterRestart() throws Exception {
        List<byte[]> events = FixtureEvents.fileEvents("gtid-mode.txt");
        RaftNode.Settings settings = singleNode();
        long endOfFirstThree;
        try (BinlogStore store = BinlogStore.open(dir.resolve("store"));
                RaftNode raft = new RaftNode(settings, store)) {
            raft.start();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(raft::isLeader);
            assertThat(raft.propose(EntryCodec.barrier(raft.term())).get(10, TimeUnit.SECONDS))
                    .isEqualTo(AppendResult.DUPLICATE);
            byte[] entry = new EntryCodec.BinlogEntryBuilder()
                    .add("mysql-bin.000001", 4, FixtureEvents.concat(events, 0, 3), 0,
                            FixtureEvents.concat(events, 0, 3).length)
                    .build();
            assertThat(raft.propose(entry).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            assertThat(raft.propose(entry).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.DUPLICATE);
            endOfFirstThree = store.lastFile().orElseThrow().endPosition();
            byte[] next = FixtureEvents.concat(events, 3, 5);
            byte[] second = new EntryCodec.BinlogEntryBuilder()
                    .add("mysql-bin.000001", endOfFirstThree, next, 0, next.length).build();
            assertThat(raft.propose(second).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            assertThat(store.gtidState().toString()).isEqualTo("0-1-1");
            // Four proposals: barrier, entry, its duplicate, second entry (the index may trail the future).
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> raft.commitIndex() >= 4);
        }
        try (BinlogStore store = BinlogStore.open(dir.resolve("store"));
                RaftNode raft = new RaftNode(settings, store)) {
            raft.start();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(raft::isLeader);
            assertThat(store.gtidState().toString()).isEqualTo("0-1-1");
            assertThat(store.lastFile().orElseThrow().endPosition())
                    .isEqualTo(endOfFirstThree + events.get(3).length + events.get(4).length);
        }
    }

    /**
     * A start replays only the entries the store lacks (JGroups-raft alone replays the whole log at every start), and
     * the whole log again when the store is not the one that recorded the mark (here: a new, empty store).
     */
    @Test
    void aRestartReplaysOnlyWhatTheStoreLacksAndAReplacedStoreGetsTheWholeLog() throws Exception {
        List<byte[]> events = FixtureEvents.fileEvents("gtid-mode.txt");
        RaftNode.Settings settings = singleNode();
        long end;
        String gtidState;
        long committed;
        try (BinlogStore store = BinlogStore.open(dir.resolve("store"));
                RaftNode raft = new RaftNode(settings, store).storeSyncMillis(50)) {
            raft.start();
            assertThat(raft.protocol().storeSyncMillis()).as("kingbus.store.sync-millis reaches the protocol")
                    .isEqualTo(50);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(raft::isLeader);
            long position = 4;
            for (int i = 0; i + 1 < events.size(); i += 2) {
                byte[] two = FixtureEvents.concat(events, i, i + 2);
                byte[] entry = new EntryCodec.BinlogEntryBuilder().add("mysql-bin.000001", position, two, 0,
                        two.length).build();
                assertThat(raft.propose(entry).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
                position += two.length;
            }
            end = store.lastFile().orElseThrow().endPosition();
            assertThat(end).isEqualTo(position);
            gtidState = store.gtidState().toString();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> raft.commitIndex() >= events.size() / 2);
            committed = raft.commitIndex();
        }
        try (BinlogStore store = BinlogStore.open(dir.resolve("store"));
                RaftNode raft = new RaftNode(settings, store)) {
            raft.start();
            assertThat(raft.protocol().replayedAtStart()).as("entries replayed into a store that holds them all")
                    .isZero();
            assertThat(raft.protocol().skippedAtStart()).isGreaterThanOrEqualTo(committed);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(end);
        }
        try (BinlogStore store = BinlogStore.open(dir.resolve("another-store"));
                RaftNode raft = new RaftNode(settings, store)) {
            raft.start();
            assertThat(raft.protocol().skippedAtStart()).as("entries skipped for a store that lacks them").isZero();
            assertThat(raft.protocol().replayedAtStart()).isGreaterThanOrEqualTo(committed);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(end);
            assertThat(store.gtidState().toString()).isEqualTo(gtidState);
        }
    }

    /**
     * A kill -9 while the log writes an entry can leave its header whole and its data short: JGroups-raft's file log
     * counts it as appended but cannot read it, and without repair the follower never commits anything after it (it
     * also never takes the entry again: RAFT does not overwrite an index it holds).
     */
    @Test
    void aFollowerWhoseLastEntryWasCutShortByACrashCatchesUpAfterItsRestart() throws Exception {
        int eventSize = 60 << 10; // more than the file log's 4 KiB write-ahead: the file ends where the entry does
        long[] position = {4};
        try (Trio trio = new Trio(BoundedResendRaft.DEFAULT_MAX_RESEND_BYTES)) {
            java.util.Map<String, BinlogStore> stores = trio.stores;
            java.util.Map<String, RaftNode> nodes = trio.nodes;
            RaftNode leader = trio.startAll();
            java.util.concurrent.Callable<Void> proposeOne = () -> {
                position[0] = trio.proposeFiller(leader, position[0], eventSize);
                return null;
            };
            for (int i = 0; i < 5; i++) {
                proposeOne.call();
            }
            String crashedId = trio.followerOf(leader);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> stores.get(crashedId).lastFile()
                    .map(f -> f.endPosition() == position[0]).orElse(false));
            trio.stop(crashedId);

            // As a crash leaves it: one more entry at the end of its log, its data cut short.
            Path logDir = dir.resolve(crashedId).resolve("raft").resolve(crashedId + ".log");
            FileBasedLog log = new FileBasedLog();
            log.init(logDir.toString(), java.util.Map.of());
            long last = log.lastAppended();
            log.append(last + 1, new LogEntries().add(new LogEntry(log.currentTerm(), new byte[eventSize + 100])));
            log.close();
            try (FileChannel file = FileChannel.open(logDir.resolve("entries.raft"), StandardOpenOption.WRITE)) {
                file.truncate(file.size() - 1000);
            }
            FileBasedLog torn = new FileBasedLog();
            torn.init(logDir.toString(), java.util.Map.of());
            assertThat(torn.lastAppended()).as("the cut entry counts as appended").isEqualTo(last + 1);
            assertThat(torn.get(last + 1)).as("and cannot be read").isNull();
            torn.close();

            for (int i = 0; i < 5; i++) {
                proposeOne.call();
            }
            RaftNode restarted = trio.start(crashedId);
            BinlogStore restartedStore = stores.get(crashedId);
            proposeOne.call();
            Awaitility.await("the restarted follower holds what the leader committed").atMost(Duration.ofSeconds(30))
                    .until(() -> restartedStore.lastFile().map(f -> f.endPosition() == position[0]).orElse(false));
            assertThat(restarted.lastApplied()).isEqualTo(leader.commitIndex());
        }
    }

    @Test
    void followersLearnTheLeadersCommitIndexAndApplyUpToIt() throws Exception {
        List<BinlogStore> stores = new java.util.ArrayList<>();
        List<RaftNode> nodes = new java.util.ArrayList<>();
        try {
            RaftNode leader = startThreeNodes(stores, nodes);
            // JGroups-raft completes a proposal while applying it, just before it moves its commit
            // index: wait for the followers' stores, by which time the leader's index has moved.
            long end = proposeFirstEventsAndAwaitEveryStore(leader, stores);
            long committed = leader.commitIndex();
            assertThat(committed).isPositive();
            for (RaftNode follower : nodes) {
                if (follower == leader) {
                    continue;
                }
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> follower.announcedCommitIndex() >= committed && follower.lastApplied() >= committed);
                assertThat(follower.knownCommitIndex()).isGreaterThanOrEqualTo(committed);
                assertThat(follower.applyLagMillis()).isZero();
            }
            for (BinlogStore store : stores) {
                assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(end);
            }
        } finally {
            nodes.forEach(RaftNode::close);
            stores.forEach(BinlogStore::close);
        }
    }

    /**
     * Followers apply a committed entry at once, not with the leader's next proposal: with RAFT's
     * idle resend put off for a minute, only the leader's commit announcement can tell them in time
     * (without it each follower waited for the next AppendEntries, a whole gap between transactions).
     */
    @Test
    void followersApplyACommittedEntryWithoutWaitingForTheNextOne() throws Exception {
        List<BinlogStore> stores = new java.util.ArrayList<>();
        List<RaftNode> nodes = new java.util.ArrayList<>();
        try {
            RaftNode leader = startThreeNodes(stores, nodes);
            for (RaftNode node : nodes) {
                org.jgroups.protocols.TCP tcp = node.protocol().getProtocolStack()
                        .findProtocol(org.jgroups.protocols.TCP.class);
                assertThat(tcp.tcpNodelay()).as("Nagle off: a small Raft message never waits for a delayed ACK").isTrue();
            }
            nodes.forEach(node -> node.protocol().resendInterval(60_000));
            Thread.sleep(1_000); // RAFT's idle wait that began before the change ends
            proposeFirstEventsAndAwaitEveryStore(leader, stores);
        } finally {
            nodes.forEach(RaftNode::close);
            stores.forEach(BinlogStore::close);
        }
    }

    /**
     * A follower that was down while 12 MB were committed catches up in batches no larger than the
     * bound (JGroups-raft alone resends everything missing in one message), while the leader keeps
     * proposing, and ends with the same store as the leader.
     */
    @Test
    void aFollowerCatchesUpInBoundedBatchesWhileTheLeaderKeepsProposing() throws Exception {
        int cap = 256 << 10;
        int eventSize = 60 << 10;
        try (Trio trio = new Trio(cap)) {
            java.util.Map<String, BinlogStore> stores = trio.stores;
            java.util.Map<String, RaftNode> nodes = trio.nodes;
            RaftNode leader = trio.startAll();
            String stoppedId = trio.followerOf(leader);
            trio.stop(stoppedId);

            long[] position = {4};
            java.util.concurrent.Callable<Void> proposeOne = () -> {
                position[0] = trio.proposeFiller(leader, position[0], eventSize);
                return null;
            };
            for (int i = 0; i < 200; i++) {
                proposeOne.call();
            }
            RaftNode restarted = trio.start(stoppedId);
            BinlogStore restartedStore = stores.get(stoppedId);
            BinlogStore leaderStore = stores.entrySet().stream()
                    .filter(e -> nodes.get(e.getKey()) == leader).findFirst().orElseThrow().getValue();
            // Keep proposing while the restarted follower catches up.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (restartedStore.lastFile().map(f -> f.endPosition()).orElse(0L) < 4 + 200L * eventSize) {
                assertThat(System.nanoTime()).as("catch-up within 60 s; the follower holds "
                        + restartedStore.lastFile().map(f -> f.endPosition()).orElse(0L) + " of " + position[0])
                        .isLessThan(deadline);
                proposeOne.call();
            }
            for (int i = 0; i < 5; i++) {
                proposeOne.call();
            }
            long end = leaderStore.lastFile().orElseThrow().endPosition();
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> restartedStore.lastFile().orElseThrow().endPosition() == end);
            assertThat(restarted.lastApplied()).isEqualTo(leader.commitIndex());
            assertThat(leader.protocol().largestResendBytes())
                    .as("largest catch-up batch")
                    .isPositive()
                    .isLessThanOrEqualTo(cap);
        }
    }

    /**
     * A member still applying a backlog answers the leader once the entries are in its log: with the other follower
     * gone, the leader commits through it long before it has applied everything (RAFT alone made the leader wait
     * for the whole backlog: a new leader's barrier waited 7 s so under load). What it applies stays committed only.
     */
    @Test
    void aFollowerApplyingABacklogDoesNotHoldBackTheMajority() throws Exception {
        int eventSize = 1 << 10;
        int backlog = 20_000;
        try (Trio trio = new Trio(BoundedResendRaft.DEFAULT_MAX_RESEND_BYTES)) {
            RaftNode leader = trio.startAll();
            String behind = trio.followerOf(leader);
            String other = trio.members.stream().map(RaftNode.Member::id)
                    .filter(id -> trio.nodes.get(id) != leader && !id.equals(behind)).findFirst().orElseThrow();
            trio.stop(behind);
            long position = 4;
            List<java.util.concurrent.CompletableFuture<AppendResult>> proposals = new java.util.ArrayList<>();
            for (int i = 0; i < backlog; i++) {
                byte[] event = fillerEvent(position, eventSize);
                proposals.add(leader.propose(new EntryCodec.BinlogEntryBuilder()
                        .add("mysql-bin.000001", position, event, 0, event.length).build()));
                position += eventSize;
                if (proposals.size() == 1000 || i == backlog - 1) { // RAFT's request queue holds about 9,000
                    for (var proposal : proposals) {
                        assertThat(proposal.get(60, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
                    }
                    proposals.clear();
                }
            }
            long committedBefore = leader.commitIndex();
            // The other follower goes: from now on the leader commits only through the one that comes back behind.
            trio.stop(other);
            RaftNode restarted = trio.start(behind);
            Awaitility.await("the leader leads the two").atMost(Duration.ofSeconds(30)).until(leader::isLeader);

            long began = System.nanoTime();
            position = trio.proposeFiller(leader, position, eventSize);
            double commitSeconds = (System.nanoTime() - began) / 1e9;
            long appliedThen = restarted.lastApplied();
            assertThat(appliedThen).as("committed through the follower after %.2f s, when it had applied %d of %d",
                    commitSeconds, appliedThen, committedBefore).isLessThan(committedBefore);

            long end = position;
            BinlogStore restartedStore = trio.stores.get(behind);
            Awaitility.await("the follower applies the rest").atMost(Duration.ofSeconds(120))
                    .until(() -> restartedStore.lastFile().map(f -> f.endPosition()).orElse(0L) == end);
            assertThat(restarted.lastApplied()).isEqualTo(leader.commitIndex());
        }
    }

    /** Members a, b and c, each with its own store and log under {@link #dir}, started and stopped one by one. */
    private final class Trio implements AutoCloseable {
        final List<RaftNode.Member> members = List.of(
                RaftNode.Member.parse("a@127.0.0.1:" + kingbus.testing.Ports.free()),
                RaftNode.Member.parse("b@127.0.0.1:" + kingbus.testing.Ports.free()),
                RaftNode.Member.parse("c@127.0.0.1:" + kingbus.testing.Ports.free()));
        final java.util.Map<String, BinlogStore> stores = new java.util.HashMap<>();
        final java.util.Map<String, RaftNode> nodes = new java.util.HashMap<>();
        private final int maxResendBytes;

        Trio(int maxResendBytes) {
            this.maxResendBytes = maxResendBytes;
        }

        /** Starts all three and returns the elected leader. */
        RaftNode startAll() throws Exception {
            for (RaftNode.Member member : members) {
                start(member.id());
            }
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> nodes.values().stream().anyMatch(RaftNode::isLeader));
            return nodes.values().stream().filter(RaftNode::isLeader).findFirst().orElseThrow();
        }

        RaftNode start(String id) throws Exception {
            BinlogStore store = BinlogStore.open(dir.resolve(id).resolve("store"));
            stores.put(id, store);
            RaftNode node = new RaftNode(new RaftNode.Settings(id, members, dir.resolve(id).resolve("raft"),
                    1L << 30, maxResendBytes), store);
            nodes.put(id, node);
            node.start();
            return node;
        }

        void stop(String id) {
            nodes.remove(id).close();
            stores.remove(id).close();
        }

        /** Proposes one filler event of {@code size} bytes at {@code position}; returns where it ends. */
        long proposeFiller(RaftNode leader, long position, int size) throws Exception {
            byte[] event = fillerEvent(position, size);
            byte[] entry = new EntryCodec.BinlogEntryBuilder()
                    .add("mysql-bin.000001", position, event, 0, event.length).build();
            assertThat(leader.propose(entry).get(20, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            return position + event.length;
        }

        String followerOf(RaftNode leader) {
            return members.stream().map(RaftNode.Member::id).filter(id -> nodes.get(id) != leader).findFirst()
                    .orElseThrow();
        }

        @Override
        public void close() {
            nodes.values().forEach(RaftNode::close);
            stores.values().forEach(BinlogStore::close);
        }
    }

    /** One event of {@code size} bytes at {@code position} whose header is whole and consistent; the body is filler. */
    private static byte[] fillerEvent(long position, int size) {
        java.nio.ByteBuffer event = java.nio.ByteBuffer.allocate(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        event.putInt(0).put((byte) 0x0e).putInt(1).putInt(size).putInt((int) (position + size)).putShort((short) 0);
        for (int i = 19; i < size; i++) {
            event.put((byte) i);
        }
        return event.array();
    }

    /** Starts members a, b and c (each with its own store, added to the lists) and returns the elected leader. */
    private RaftNode startThreeNodes(List<BinlogStore> stores, List<RaftNode> nodes) throws Exception {
        return startThreeNodes(dir, stores, nodes, node -> { });
    }

    /**
     * Starts members a, b and c under {@code root} (each with its own store, added to the lists; {@code beforeStart}
     * sees each node before it starts) and returns the elected leader. Also for {@link RaftCommitLatencyBench}.
     */
    static RaftNode startThreeNodes(Path root, List<BinlogStore> stores, List<RaftNode> nodes,
            java.util.function.Consumer<RaftNode> beforeStart) throws Exception {
        List<RaftNode.Member> members = List.of(
                RaftNode.Member.parse("a@127.0.0.1:" + kingbus.testing.Ports.free()),
                RaftNode.Member.parse("b@127.0.0.1:" + kingbus.testing.Ports.free()),
                RaftNode.Member.parse("c@127.0.0.1:" + kingbus.testing.Ports.free()));
        for (RaftNode.Member member : members) {
            BinlogStore store = BinlogStore.open(root.resolve(member.id()).resolve("store"));
            stores.add(store);
            RaftNode node = new RaftNode(new RaftNode.Settings(member.id(), members,
                    root.resolve(member.id()).resolve("raft"), 1L << 30), store);
            nodes.add(node);
            beforeStart.accept(node);
            node.start();
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().anyMatch(RaftNode::isLeader));
        return nodes.stream().filter(RaftNode::isLeader).findFirst().orElseThrow();
    }

    /**
     * Proposes the fixture's first three events on the leader and waits (10 s at most) until every
     * store holds them; returns the position where they end.
     */
    private static long proposeFirstEventsAndAwaitEveryStore(RaftNode leader, List<BinlogStore> stores)
            throws Exception {
        byte[] first = FixtureEvents.concat(FixtureEvents.fileEvents("gtid-mode.txt"), 0, 3);
        byte[] entry = new EntryCodec.BinlogEntryBuilder().add("mysql-bin.000001", 4, first, 0, first.length).build();
        assertThat(leader.propose(entry).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
        long end = 4 + first.length;
        for (BinlogStore store : stores) {
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> store.lastFile().map(f -> f.endPosition() == end).orElse(false));
        }
        return end;
    }
}
