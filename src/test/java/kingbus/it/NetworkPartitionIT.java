package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.NetNamespaces;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three Kingbus nodes, each in a network namespace of its own (a host of its own, linked to this host by a bridge);
 * a real master and two real replicas on this host, one replicating from a follower and one from the leader. Under
 * an insert load the leader's link goes down: it keeps running, cut off from the master, the other nodes and its
 * replica, as a host lost to the network is. The other two elect a leader that pulls from the master, and the
 * replica on the follower keeps applying. When the link comes back, the old leader rejoins as a follower and catches
 * up, its replica (never repointed) resumes, and in the end both replicas equal the master with nothing lost or
 * applied twice, and every node holds the master's files byte for byte.
 */
class NetworkPartitionIT {

    private final Cleanup cleanup = new Cleanup();
    private final List<KingbusProcess> nodes = new ArrayList<>();
    private final List<MariaDb> replicas = new ArrayList<>();

    private <T extends AutoCloseable> T keep(T resource) {
        return cleanup.add(resource);
    }

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    @Test
    void aLeaderCutOffByTheNetworkIsReplacedAndRejoinsWithoutLosingOrDoublingAnything() throws Exception {
        try {
            partition();
        } catch (Exception | AssertionError e) {
            KingbusProcess.printDiagnostics(nodes);
            for (MariaDb replica : replicas) {
                System.err.println("===== replica " + replica.port() + " " + replica.slaveStatus());
            }
            throw e;
        }
    }

    private void partition() throws Exception {
        NetNamespaces net = keep(NetNamespaces.create(3)); // closed last: after the nodes in it have stopped
        MariaDb master = keep(MariaDb.start(1, "--bind-address=0.0.0.0")); // the nodes reach it on the bridge
        MariaDb onFollower = keep(MariaDb.start(2));
        MariaDb onLeader = keep(MariaDb.start(3));
        replicas.addAll(List.of(onFollower, onLeader));
        master.execute("CREATE DATABASE app", "CREATE TABLE app.events (id BIGINT PRIMARY KEY, payload VARCHAR(100))");
        nodes.addAll(KingbusProcess.clusterInNamespaces(master, net.hostAddress(),
                List.of(net.address(1), net.address(2), net.address(3)),
                List.of(net.namespace(1), net.namespace(2), net.namespace(3))));
        nodes.forEach(this::keep);
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        int leaderHost = nodes.indexOf(leader) + 1;
        KingbusProcess follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        onFollower.replicateFrom(follower.host(), follower.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD);
        onLeader.replicateFrom(leader.host(), leader.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD);

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> insert(master, writing, written));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> written.get() > 300);
        onFollower.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        onLeader.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));

        // The leader's host drops off the network; its process runs on.
        long cutAt = System.nanoTime();
        net.cut(leaderHost);
        KingbusProcess newLeader = Awaitility.await("a leader among the two still linked").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> nodes.stream().filter(n -> n != leader && n.role().equals("leader")).findFirst()
                        .orElse(null), n -> n != null);
        double electedAfter = (System.nanoTime() - cutAt) / 1e9;
        String atElection = master.gtidBinlogPos();
        long writtenAtElection = written.get();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > writtenAtElection + 300);
        String duringCut = master.gtidBinlogPos();
        onFollower.awaitSlavePos(duringCut, Duration.ofSeconds(60));
        assertThat(newLeader.gtidBinlogPos()).as("the new leader pulled past the cut").isNotEqualTo(atElection);
        assertThat(leader.isAlive()).as("the cut-off node runs on").isTrue();
        assertThat(onLeader.gtidSlavePos()).as("the cut-off node's replica got nothing past the cut")
                .isNotEqualTo(duringCut);

        // The link comes back: the old leader rejoins as a follower, catches up, and its replica resumes.
        net.heal(leaderHost);
        Awaitility.await("the old leader back as a follower").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250)).until(() -> leader.role().equals("follower"));
        long writtenAtHeal = written.get();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > writtenAtHeal + 300);
        writing.set(false);
        load.get(60, TimeUnit.SECONDS);

        String end = master.gtidBinlogPos();
        Awaitility.await("the old leader holding the master's end").atMost(Duration.ofSeconds(90))
                .until(() -> leader.gtidBinlogPos().equals(end));
        onFollower.awaitSlavePos(end, Duration.ofSeconds(90));
        onLeader.awaitSlavePos(end, Duration.ofSeconds(120));
        for (MariaDb replica : replicas) {
            assertThat(replica.checksums()).isEqualTo(master.checksums());
            assertThat(replica.queryString("SELECT COUNT(*) FROM app.events")).isEqualTo(String.valueOf(written.get()));
            assertThat(replica.slaveStatus().get("Last_SQL_Errno")).isEqualTo("0");
        }
        assertThat(nodes.stream().filter(n -> n.role().equals("leader")).count()).as("one leader").isEqualTo(1);

        // Every node, the one cut off included, holds the master's completed files byte for byte.
        master.execute("FLUSH BINARY LOGS", "INSERT INTO app.events VALUES (-1, 'after-flush')");
        List<String> files = master.binaryLogs();
        String newest = files.get(files.size() - 1);
        for (KingbusProcess node : nodes) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> node.binlogEnd().startsWith(newest));
            BinlogTool.assertRawFilesIdentical(master, node.host(), node.mysqlPort(), files.subList(0, files.size() - 1));
        }
        System.out.printf("network partition: a new leader %.2f s after the cut%n", electedAfter);
    }

    /** Single-row inserts with unique ids until told to stop: a lost or doubled transaction shows in the replicas. */
    private static void insert(MariaDb master, AtomicBoolean writing, AtomicLong written) {
        try (Connection c = master.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO app.events VALUES (?, ?)")) {
            while (writing.get()) {
                long id = written.get() + 1;
                insert.setLong(1, id);
                insert.setString(2, "row-" + id);
                insert.executeUpdate();
                written.set(id);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
