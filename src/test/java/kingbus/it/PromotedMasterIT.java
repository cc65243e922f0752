package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The master dies; the operator promotes one of Kingbus's replicas and points Kingbus at it, while the other
 * replicas stay where they are, one by GTID and one by file and position. The promoted server holds every
 * transaction Kingbus holds, but in binlog files of its own whose names Kingbus already holds for the old master
 * ({@code mysql-bin.000001}) and whose positions differ. Kingbus goes on in files of its own after the old master's,
 * and both replicas get the new master's transactions. A server that lacks transactions Kingbus holds is refused,
 * and nothing of it is stored.
 */
class PromotedMasterIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void kingbusFollowsAPromotedReplicaInFilesOfItsOwnAndItsReplicasStayPut() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb promoted = cleanup.add(MariaDb.start(2));
        MariaDb byGtid = cleanup.add(MariaDb.start(3));
        MariaDb byPosition = cleanup.add(MariaDb.start(4));
        master.execute("CREATE DATABASE app", "USE app", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, 'first' FROM seq_1_to_100", "FLUSH BINARY LOGS", "FLUSH BINARY LOGS",
                "USE app", "INSERT INTO t SELECT seq, 'second' FROM seq_101_to_200");
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of())).start().awaitReady();
        promoted.replicateFrom(kingbus);
        byGtid.replicateFrom(kingbus);
        byPosition.replicateByPositionFrom(kingbus, "mysql-bin.000001");
        String fromOldMaster = master.gtidBinlogPos();
        for (MariaDb replica : List.of(promoted, byGtid, byPosition)) {
            replica.awaitSlavePos(fromOldMaster, Duration.ofSeconds(60));
        }
        List<String> oldFiles = master.binaryLogs();
        assertThat(oldFiles).containsExactly("mysql-bin.000001", "mysql-bin.000002", "mysql-bin.000003");
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), oldFiles);
        Map<String, Long> oldSizes = kingbus.binaryLogSizes();

        // The master dies (its newest file left without a ROTATE); a replica is promoted and takes writes at once,
        // in its own mysql-bin.000001, before Kingbus is pointed at it.
        master.kill9();
        promoted.execute("STOP SLAVE", "RESET SLAVE ALL", "USE app", "INSERT INTO t SELECT seq, 'third' FROM"
                + " seq_201_to_300");
        assertThat(promoted.binaryLogs()).containsExactly("mysql-bin.000001");
        kingbus.stop();
        kingbus.setting("KINGBUS_MASTER_PORT", String.valueOf(promoted.port())).start().awaitReady();

        String fromNewMaster = promoted.gtidBinlogPos();
        for (MariaDb replica : List.of(byGtid, byPosition)) {
            replica.awaitSlavePos(fromNewMaster, Duration.ofSeconds(60));
            assertThat(replica.queryString("SELECT COUNT(*) FROM app.t")).isEqualTo("300");
            assertThat(replica.checksums()).isEqualTo(promoted.checksums());
        }
        Map<String, Long> sizes = kingbus.binaryLogSizes();
        assertThat(sizes.keySet()).containsExactly("mysql-bin.000001", "mysql-bin.000002", "mysql-bin.000003",
                "mysql-bin.000004");
        for (String file : oldFiles) {
            assertThat(sizes.get(file)).as("the old master's " + file + " as it was").isEqualTo(oldSizes.get(file));
        }
        String decoded = BinlogTool.decode(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, "mysql-bin.000004");
        assertThat(decoded).as("Kingbus's own file, read by mariadb-binlog").contains("GTID 0-2-")
                .contains("Gtid list [0-1-");
        assertThat(kingbus.messages()).anyMatch(line -> line.contains("goes on in files of its own from"
                + " mysql-bin.000004"));
        assertThat(kingbus.adminGet("/api/v1/syncer").body()).contains("\"writesOwnFiles\":true");
        String binlogs = kingbus.adminGet("/api/v1/binlogs").body();
        for (String file : oldFiles) {
            assertThat(binlogs).containsPattern("\"name\":\"" + file + "\"[^}]*\"serverId\":1,\"own\":false");
        }
        assertThat(binlogs).containsPattern("\"name\":\"mysql-bin.000004\"[^}]*\"serverId\":4242,\"own\":true");

        // The new master rotates: Kingbus follows with a file of its own (a restart going on in the own file is in
        // PromotedMasterClusterIT).
        promoted.execute("FLUSH BINARY LOGS", "USE app", "INSERT INTO t VALUES (0, 'after the flush')");
        String afterFlush = promoted.gtidBinlogPos();
        for (MariaDb replica : List.of(byGtid, byPosition)) {
            replica.awaitSlavePos(afterFlush, Duration.ofSeconds(60));
            assertThat(replica.checksums()).isEqualTo(promoted.checksums());
        }
        assertThat(kingbus.binaryLogSizes().keySet()).containsExactly("mysql-bin.000001", "mysql-bin.000002",
                "mysql-bin.000003", "mysql-bin.000004", "mysql-bin.000005");
        // Every file Kingbus serves reads back whole with mariadb-binlog, across the old master's and its own.
        String all = BinlogTool.decode(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, "mysql-bin.000001");
        assertThat(all).contains("Rotate to mysql-bin.000005");

        // A server that lacks transactions Kingbus holds (its own binlog, none of the master's) is refused.
        MariaDb stranger = cleanup.add(MariaDb.start(5));
        stranger.execute("CREATE DATABASE other");
        Map<String, Long> held = kingbus.binaryLogSizes();
        String heldPosition = kingbus.gtidBinlogPos();
        kingbus.stop();
        kingbus.setting("KINGBUS_MASTER_PORT", String.valueOf(stranger.port())).start();
        Awaitility.await("the stranger's refusal").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> kingbus.adminGet("/api/v1/syncer").body().contains("1236"));
        assertThat(kingbus.binaryLogSizes()).as("nothing of the stranger stored").isEqualTo(held);
        assertThat(kingbus.gtidBinlogPos()).isEqualTo(heldPosition);
        List<String> replicaPositions = new ArrayList<>();
        for (MariaDb replica : List.of(byGtid, byPosition)) {
            replicaPositions.add(replica.gtidSlavePos());
        }
        assertThat(replicaPositions).containsOnly(afterFlush);
    }
}
