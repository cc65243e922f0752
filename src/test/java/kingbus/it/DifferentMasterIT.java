package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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
 * Kingbus holds a master's binlog byte for byte, under the master's file names and positions. Pointed at another
 * server, here a replica of that master with binlog files of its own (the replica an operator promotes, or a
 * virtual IP that moved to it), it must not store that server's files beside or into the ones it holds: their
 * positions are another binlog's. It refuses with one clear reason, stores nothing, and once pointed back at the
 * master it goes on as before. Before the check, Kingbus took the other server's next file as its own.
 */
class DifferentMasterIT {

    private static final String REFUSAL = "this is not the binlog Kingbus holds";

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aServerWhoseBinlogIsNotTheOneHeldIsRefusedAndNothingOfItIsStored() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb other = cleanup.add(MariaDb.start(2));
        MariaDb replica = cleanup.add(MariaDb.start(3));
        // The other server's binlog has files of its own: two rotations before it replicates anything.
        other.execute("FLUSH BINARY LOGS", "FLUSH BINARY LOGS");
        master.execute("CREATE DATABASE app", "USE app", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, 'first' FROM seq_1_to_100");
        other.replicateFrom(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD);
        other.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));

        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of())).start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
        String held = master.gtidBinlogPos();
        replica.awaitSlavePos(held, Duration.ofSeconds(60));
        Map<String, Long> heldFiles = kingbus.binaryLogSizes();

        // Pointed at the other server, which holds the same transactions in files of its own.
        kingbus.stop();
        kingbus.setting("KINGBUS_MASTER_PORT", String.valueOf(other.port())).start();
        master.execute("USE app", "INSERT INTO t SELECT seq, 'second' FROM seq_101_to_200");
        other.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        Awaitility.await("the refusal in the log").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> kingbus.messages().stream().anyMatch(line -> line.contains(REFUSAL)));
        Thread.sleep(3000); // more tries of the other server: they must not store anything either
        assertThat(kingbus.get("/health/ready").statusCode()).as("not ready while refusing").isEqualTo(503);
        assertThat(kingbus.get("/health/ready").body()).contains(REFUSAL);
        assertThat(kingbus.binaryLogSizes()).as("nothing of the other server stored").isEqualTo(heldFiles);
        assertThat(kingbus.gtidBinlogPos()).isEqualTo(held);
        assertThat(replica.gtidSlavePos()).isEqualTo(held);
        // The syncer's own warnings (Liberty's health log repeats the readiness data, the reason included).
        List<String> refusals = kingbus.messages().stream()
                .filter(line -> line.contains("kingbus.syncer.BinlogSyncer") && line.contains(REFUSAL))
                .map(line -> line.substring(line.indexOf("The master"))).toList();
        assertThat(refusals).as("said once, not at every try").isNotEmpty().doesNotHaveDuplicates();

        // Pointed back at its master, it goes on where it was.
        kingbus.stop();
        kingbus.setting("KINGBUS_MASTER_PORT", String.valueOf(master.port())).start().awaitReady();
        master.execute("FLUSH BINARY LOGS", "USE app", "INSERT INTO t VALUES (0, 'after the flush')");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        assertThat(replica.queryString("SELECT COUNT(*) FROM app.t")).isEqualTo("201");
        assertThat(replica.checksums()).isEqualTo(master.checksums());
        List<String> files = master.binaryLogs();
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), files.subList(0, files.size() - 1));
    }
}
