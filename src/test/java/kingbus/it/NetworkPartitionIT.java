package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * Three Kingbus nodes, each in a network namespace of its own (a host of its own, linked to this host by a bridge);
 * a real master and two real replicas on this host, one replicating from a follower and one from the leader. Under
 * an insert load one node's link goes down: it keeps running, cut off from the master, the other nodes and its
 * replica, as a host lost to the network is. When it was the leader, the other two elect a leader that pulls from
 * the master; when it was a follower, the leader goes on with the other one. Either way the replica on the node
 * still linked keeps applying. When the link comes back, the node rejoins as a follower and catches up, its replica
 * (never repointed) resumes, and in the end both replicas equal the master with nothing lost or applied twice, and
 * every node holds the master's files byte for byte.
 */
class NetworkPartitionIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final List<KingbusProcess> nodes = new ArrayList<>();
    private final List<MariaDb> replicas = new ArrayList<>();

    @Test
    void aLeaderCutOffByTheNetworkIsReplacedAndRejoinsWithoutLosingOrDoublingAnything() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, () -> cutAndHeal(true));
    }

    @Test
    void aFollowerCutOffByTheNetworkCatchesUpWhileTheLeaderGoesOn() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, () -> cutAndHeal(false));
    }

    /** Cuts the leader's link ({@code leaderCut}) or a follower's under load, then heals it; checks it all. */
    private void cutAndHeal(boolean leaderCut) throws Exception {
        NetNamespaces net = cleanup.add(NetNamespaces.create(3)); // closed last: after the nodes in it have stopped
        MariaDb master = cleanup.add(MariaDb.start(1, "--bind-address=0.0.0.0")); // the nodes reach it on the bridge
        MariaDb onFollower = cleanup.add(MariaDb.start(2));
        MariaDb onLeader = cleanup.add(MariaDb.start(3));
        replicas.addAll(List.of(onFollower, onLeader));
        master.execute("CREATE DATABASE app", "CREATE TABLE app.events (id BIGINT PRIMARY KEY, payload VARCHAR(100))");
        nodes.addAll(KingbusProcess.clusterInNamespaces(master, net));
        nodes.forEach(cleanup::add);
        KingbusProcess.startAll(nodes);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        KingbusProcess follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        onFollower.replicateFrom(follower);
        onLeader.replicateFrom(leader);

        InsertLoad load = cleanup.add(InsertLoad.start(master, "app.events", "", 0));
        load.awaitMore(300, Duration.ofSeconds(60));
        onFollower.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        onLeader.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));

        // One node's host drops off the network; its process runs on.
        KingbusProcess cut = leaderCut ? leader : follower;
        MariaDb cutReplica = leaderCut ? onLeader : onFollower;
        MariaDb linkedReplica = leaderCut ? onFollower : onLeader;
        long cutAt = System.nanoTime();
        net.cut(nodes.indexOf(cut) + 1);
        KingbusProcess leading = leaderCut
                ? Awaitility.await("a leader among the two still linked").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> nodes.stream().filter(n -> n != leader && n.role().equals("leader")).findFirst()
                                .orElse(null), n -> n != null)
                : leader;
        double leaderAfter = (System.nanoTime() - cutAt) / 1e9;
        String atCut = master.gtidBinlogPos();
        load.awaitMore(300, Duration.ofSeconds(30));
        String duringCut = master.gtidBinlogPos();
        linkedReplica.awaitSlavePos(duringCut, Duration.ofSeconds(60));
        double linkedReplicaAfter = (System.nanoTime() - cutAt) / 1e9;
        assertThat(leading.gtidBinlogPos()).as("the leader pulled past the cut").isNotEqualTo(atCut);
        assertThat(leading.role()).as("the leader after the cut").isEqualTo("leader");
        assertThat(cut.isAlive()).as("the cut-off node runs on").isTrue();
        assertThat(cutReplica.gtidSlavePos()).as("the cut-off node's replica got nothing past the cut")
                .isNotEqualTo(duringCut);

        // The link comes back: the node rejoins as a follower, catches up, and its replica resumes.
        net.heal(nodes.indexOf(cut) + 1);
        Awaitility.await("the cut-off node back as a follower of " + leading.nodeName()).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250)).until(() -> cut.role().equals("follower")
                        && cut.get("/health/ready").body().contains("\"raft.leader\":\"" + leading.nodeName()));
        load.awaitMore(300, Duration.ofSeconds(30));
        long written = load.stop();

        String end = master.gtidBinlogPos();
        Awaitility.await("the cut-off node holding the master's end").atMost(Duration.ofSeconds(90))
                .until(() -> cut.gtidBinlogPos().equals(end));
        onFollower.awaitSlavePos(end, Duration.ofSeconds(90));
        onLeader.awaitSlavePos(end, Duration.ofSeconds(120));
        for (MariaDb replica : replicas) {
            assertThat(replica.checksums()).isEqualTo(master.checksums());
            assertThat(replica.queryString("SELECT COUNT(*) FROM app.events")).isEqualTo(String.valueOf(written));
            assertThat(replica.slaveStatus().get("Last_SQL_Errno")).isEqualTo("0");
        }
        assertThat(nodes.stream().filter(n -> n.role().equals("leader")).count()).as("one leader").isEqualTo(1);

        // Every node, the one cut off included, holds the master's completed files byte for byte.
        master.execute("FLUSH BINARY LOGS", "INSERT INTO app.events VALUES (-1, 'after-flush')");
        BinlogTool.assertEveryNodeHoldsTheCompletedFiles(master, nodes);
        System.out.printf("network partition of the %s: a leader %.2f s after the cut, the other replica past the"
                + " cut's +300 writes %.2f s after it%n", leaderCut ? "leader" : "follower", leaderAfter,
                linkedReplicaAfter);
    }
}
