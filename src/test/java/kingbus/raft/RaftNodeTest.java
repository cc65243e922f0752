package kingbus.raft;

import kingbus.testing.FixtureEvents;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kingbus.store.AppendResult;
import kingbus.store.BinlogStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A single-node Raft group: the same code path as a cluster, with a real fsync'd log. */
class RaftNodeTest {

    @TempDir
    Path dir;

    @Test
    void singleNodeCommitsAppliesAndRecoversAfterRestart() throws Exception {
        List<byte[]> events = FixtureEvents.fileEvents("gtid-mode.txt");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RaftNode.Settings settings = new RaftNode.Settings("n1",
                List.of(RaftNode.Member.parse("n1@127.0.0.1:" + port)), dir.resolve("raft"), 1 << 20);
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

    @Test
    void followersLearnTheLeadersCommitIndexAndApplyUpToIt() throws Exception {
        List<byte[]> events = FixtureEvents.fileEvents("gtid-mode.txt");
        List<RaftNode.Member> members = List.of(
                RaftNode.Member.parse("a@127.0.0.1:" + kingbus.testing.Ports.free()),
                RaftNode.Member.parse("b@127.0.0.1:" + kingbus.testing.Ports.free()),
                RaftNode.Member.parse("c@127.0.0.1:" + kingbus.testing.Ports.free()));
        List<BinlogStore> stores = new java.util.ArrayList<>();
        List<RaftNode> nodes = new java.util.ArrayList<>();
        try {
            for (RaftNode.Member member : members) {
                BinlogStore store = BinlogStore.open(dir.resolve(member.id()).resolve("store"));
                stores.add(store);
                RaftNode node = new RaftNode(new RaftNode.Settings(member.id(), members,
                        dir.resolve(member.id()).resolve("raft"), 1L << 30), store);
                nodes.add(node);
                node.start();
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().anyMatch(RaftNode::isLeader));
            RaftNode leader = nodes.stream().filter(RaftNode::isLeader).findFirst().orElseThrow();
            byte[] first = FixtureEvents.concat(events, 0, 3);
            byte[] entry = new EntryCodec.BinlogEntryBuilder()
                    .add("mysql-bin.000001", 4, first, 0, first.length).build();
            assertThat(leader.propose(entry).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            long committed = leader.commitIndex();
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
                assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(4 + first.length);
            }
        } finally {
            nodes.forEach(RaftNode::close);
            stores.forEach(BinlogStore::close);
        }
    }
}
