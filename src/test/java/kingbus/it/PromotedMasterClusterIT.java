package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A three-node cluster is pointed at a promoted replica as the README says: each node's setting changed and the nodes
 * restarted, the followers first, the leader last. The member elected when the leader stops goes on in Kingbus's own files;
 * a leader killed later, its successor goes on in the same own file. Every node ends with the same files, byte for
 * byte, and a replica by file and position gets every transaction of both masters.
 */
class PromotedMasterClusterIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private final List<KingbusProcess> nodes = new ArrayList<>();
    private final List<MariaDb> replicas = new ArrayList<>();

    @Test
    void aRollingRestartRepointsTheClusterAndEveryNodeHoldsTheSameOwnFiles() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, this::repoint);
    }

    private void repoint() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb promoted = cleanup.add(MariaDb.start(2));
        MariaDb byPosition = cleanup.add(MariaDb.start(3));
        replicas.addAll(List.of(promoted, byPosition));
        master.execute("CREATE DATABASE app", "USE app", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, 'first' FROM seq_1_to_100", "FLUSH BINARY LOGS",
                "USE app", "INSERT INTO t SELECT seq, 'second' FROM seq_101_to_200");
        nodes.addAll(KingbusProcess.cluster(master, 3));
        nodes.forEach(cleanup::add);
        KingbusProcess.startAll(nodes);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        List<KingbusProcess> followers = nodes.stream().filter(n -> n != leader).toList();
        promoted.replicateFrom(followers.get(0));
        byPosition.replicateByPositionFrom(followers.get(1), "mysql-bin.000001");
        for (MariaDb replica : List.of(promoted, byPosition)) {
            replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        }

        master.kill9();
        promoted.execute("STOP SLAVE", "RESET SLAVE ALL", "USE app", "INSERT INTO t SELECT seq, 'third' FROM"
                + " seq_201_to_300");
        // The followers first (both at once: the leader pulls nothing from a dead master), then the leader.
        for (List<KingbusProcess> round : List.of(followers, List.of(leader))) {
            round.forEach(KingbusProcess::stop);
            round.forEach(node -> node.setting("KINGBUS_MASTER_PORT", String.valueOf(promoted.port())));
            KingbusProcess.startAll(round);
        }
        byPosition.awaitSlavePos(promoted.gtidBinlogPos(), Duration.ofSeconds(90));

        // A new leader goes on in the own file its predecessor began.
        KingbusProcess repointed = KingbusProcess.leaderOf(nodes);
        repointed.kill9();
        promoted.execute("USE app", "INSERT INTO t SELECT seq, 'fourth' FROM seq_301_to_400");
        String fourth = promoted.gtidBinlogPos();
        for (KingbusProcess survivor : nodes.stream().filter(n -> n != repointed).toList()) {
            Awaitility.await(survivor.nodeName() + " at " + fourth).atMost(Duration.ofSeconds(90))
                    .until(() -> survivor.gtidBinlogPos().equals(fourth));
        }
        repointed.start().awaitReady();
        promoted.execute("USE app", "INSERT INTO t VALUES (0, 'last')");
        String end = promoted.gtidBinlogPos();
        byPosition.awaitSlavePos(end, Duration.ofSeconds(60));
        assertThat(byPosition.queryString("SELECT COUNT(*) FROM app.t")).isEqualTo("401");
        assertThat(byPosition.checksums()).isEqualTo(promoted.checksums());

        List<String> files = List.of("mysql-bin.000001", "mysql-bin.000002", "mysql-bin.000003");
        for (KingbusProcess node : nodes) {
            Awaitility.await(node.nodeName() + " at " + end).atMost(Duration.ofSeconds(60))
                    .until(() -> node.gtidBinlogPos().equals(end));
            assertThat(node.binaryLogSizes().keySet()).as(node.nodeName() + "'s files").containsExactlyElementsOf(files);
        }
        BinlogTool.assertEveryNodeServesTheSameFiles(nodes, files);
    }
}
