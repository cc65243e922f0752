package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.InsertLoad;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.NetNamespaces;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The leader loses the master, not the cluster: three Kingbus nodes in network namespaces of their own, a real master
 * and two real replicas on this host. Under an insert load the leader's route to the master breaks (a blackhole
 * route in its namespace: its connection goes silent, new ones time out), while it still reaches the other nodes and
 * its replica. The followers still reach the master, so after {@code kingbus.master.handover-seconds} the leader
 * must leave the leadership to one of them; before, replication stopped for as long as the route stayed broken.
 * And when the master is lost for every node (frozen), nobody can do better: the leader stays.
 */
class MasterLinkLossIT {

    private static final String TABLE = "app.events";

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final List<KingbusProcess> nodes = new ArrayList<>();
    private final List<MariaDb> replicas = new ArrayList<>();

    @Test
    void aLeaderThatLosesTheMasterHandsOverToAMemberThatReachesIt() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, this::leaderLosesTheMaster);
    }

    @Test
    void aMasterLostToEveryNodeLeavesTheLeaderWhereItIs() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, this::everyNodeLosesTheMaster);
    }

    private void leaderLosesTheMaster() throws Exception {
        NetNamespaces net = cleanup.add(NetNamespaces.create(3)); // closed last: after the nodes in it have stopped
        MariaDb master = cleanup.add(MariaDb.start(1, "--bind-address=0.0.0.0")); // the nodes reach it on the bridge
        MariaDb onFollower = cleanup.add(MariaDb.start(2));
        MariaDb onLeader = cleanup.add(MariaDb.start(3));
        replicas.addAll(List.of(onFollower, onLeader));
        master.execute("CREATE DATABASE app", "CREATE TABLE " + TABLE + " (id BIGINT PRIMARY KEY, payload VARCHAR(100))");
        nodes.addAll(KingbusProcess.clusterInNamespaces(master, net, Map.of(
                "KINGBUS_MASTER_HOST", net.serviceAddress(),
                "KINGBUS_MASTER_NET_TIMEOUT_SECONDS", "4",
                "KINGBUS_MASTER_HANDOVER_SECONDS", "6")));
        nodes.forEach(cleanup::add);
        KingbusProcess.startAll(nodes);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        KingbusProcess follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        onFollower.replicateFrom(follower);
        onLeader.replicateFrom(leader);
        // At most 200 transactions a second: what piles up while nobody pulls is caught up in seconds, so the
        // replica's delay shows the handover rather than the catch-up.
        InsertLoad load = cleanup.add(InsertLoad.start(master, TABLE, "", 5));
        load.awaitMore(300, Duration.ofSeconds(60));
        onFollower.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        onLeader.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));

        // The leader's route to the master breaks; it still reaches the other nodes and its replica.
        int leaderHost = nodes.indexOf(leader) + 1;
        long cutAt = System.nanoTime();
        net.blackhole(leaderHost, net.serviceAddress());
        KingbusProcess leading = Awaitility.await("a leader among the nodes that reach the master")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> nodes.stream().filter(n -> n != leader && n.role().equals("leader")).findFirst()
                        .orElse(null), n -> n != null);
        double leaderAfter = (System.nanoTime() - cutAt) / 1e9;
        load.awaitMore(300, Duration.ofSeconds(30));
        String duringCut = master.gtidBinlogPos();

        onFollower.awaitSlavePos(duringCut, Duration.ofSeconds(60));
        double replicaAfter = (System.nanoTime() - cutAt) / 1e9;
        // The old leader is back in the group as a follower, its route to the master still broken: it gets the
        // binlog through Raft and its replica, never repointed, resumes.
        Awaitility.await("the old leader back as a follower of " + leading.nodeName()).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250)).until(() -> leader.role().equals("follower")
                        && leader.get("/health/ready").body().contains("\"raft.leader\":\"" + leading.nodeName()));
        onLeader.awaitSlavePos(duringCut, Duration.ofSeconds(60));
        assertThat(leader.messages()).as("the old leader's log").anyMatch(line -> line.contains(
                "leaving the Raft group so that a member that reaches the master leads"));
        assertThat(leaderAfter).as("not before kingbus.master.handover-seconds").isGreaterThan(5.5);

        net.unblackhole(leaderHost, net.serviceAddress());
        load.awaitMore(300, Duration.ofSeconds(30));
        long written = load.stop();
        String end = master.gtidBinlogPos();
        for (KingbusProcess node : nodes) {
            Awaitility.await(node.nodeName() + " holding the master's end").atMost(Duration.ofSeconds(90))
                    .until(() -> node.gtidBinlogPos().equals(end));
        }
        for (MariaDb replica : replicas) {
            replica.awaitSlavePos(end, Duration.ofSeconds(90));
            assertThat(replica.checksums()).isEqualTo(master.checksums());
            assertThat(replica.queryString("SELECT COUNT(*) FROM " + TABLE)).isEqualTo(String.valueOf(written));
            assertThat(replica.slaveStatus().get("Last_SQL_Errno")).isEqualTo("0");
        }
        assertThat(nodes.stream().filter(n -> n.role().equals("leader")).count()).as("one leader").isEqualTo(1);
        master.execute("FLUSH BINARY LOGS", "INSERT INTO " + TABLE + " VALUES (-1, 'after-flush')");
        BinlogTool.assertEveryNodeHoldsTheCompletedFiles(master, nodes);
        System.out.printf("leader cut from the master: %s leads %.2f s after the cut, the replica on a follower past"
                + " the cut's +300 writes %.2f s after it%n", leading.nodeName(), leaderAfter, replicaAfter);

    }

    private void everyNodeLosesTheMaster() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb replica = cleanup.add(MariaDb.start(2));
        replicas.add(replica);
        master.execute("CREATE DATABASE app", "CREATE TABLE " + TABLE + " (id BIGINT PRIMARY KEY, payload VARCHAR(100))");
        nodes.addAll(KingbusProcess.cluster(master, 3, Map.of(
                "KINGBUS_MASTER_NET_TIMEOUT_SECONDS", "4",
                "KINGBUS_MASTER_HANDOVER_SECONDS", "5")));
        nodes.forEach(cleanup::add);
        KingbusProcess.startAll(nodes);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        replica.replicateFrom(leader.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
        master.execute("USE app", "INSERT INTO events SELECT seq, 'before' FROM seq_1_to_100");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));

        // A hung master: its kernel still accepts connections, nobody gets an answer. No member does better.
        master.freeze();
        long frozenAt = System.nanoTime();
        try {
            while (System.nanoTime() - frozenAt < Duration.ofSeconds(20).toNanos()) {
                for (KingbusProcess node : nodes) {
                    assertThat(node.role()).as(node.nodeName() + "'s role while the master is hung")
                            .isEqualTo(node == leader ? "leader" : "follower");
                }
                Thread.sleep(500); // sample the roles for 20 s: four handover periods
            }
        } finally {
            master.thaw();
        }
        assertThat(leader.messages()).as("the leader's log").noneMatch(line -> line.contains("leaving the Raft group"));
        assertThat(nodes.stream().flatMap(n -> n.messages().stream()))
                .as("the followers tried the master and said so")
                .anyMatch(line -> line.contains("cannot log in to it either"));

        master.execute("USE app", "INSERT INTO events SELECT seq, 'after' FROM seq_101_to_200");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        assertThat(replica.queryString("SELECT COUNT(*) FROM " + TABLE)).isEqualTo("200");
        assertThat(replica.checksums()).isEqualTo(master.checksums());
    }
}
