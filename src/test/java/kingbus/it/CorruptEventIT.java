package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.CorruptingProxy;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 5: Kingbus checks the CRC32 of every event it receives and never stores a corrupt one. A
 * proxy between the master and Kingbus flips one byte inside the body of the first row event it
 * relays (framing and header intact: only the checksum can tell). Kingbus must refuse it with one
 * clear log line, reconnect (the proxy relays honestly from then on), and end with files
 * byte-identical to the master's and a replica equal to the master.
 */
class CorruptEventIT {

    /** WRITE_ROWS_EVENT_V1, the row event MariaDB 10.11 writes for an INSERT. */
    private static final int WRITE_ROWS_EVENT_V1 = 23;

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aCorruptEventFromTheMasterIsRefusedAndFetchedAgain() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb replica = cleanup.add(MariaDb.start(2));
        CorruptingProxy proxy = cleanup.add(new CorruptingProxy(master.port(), WRITE_ROWS_EVENT_V1));
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master,
                Map.of("KINGBUS_MASTER_PORT", String.valueOf(proxy.port())))).start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);

        master.execute("CREATE DATABASE crc", "USE crc", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, REPEAT('checked', 10) FROM seq_1_to_200",
                "INSERT INTO t SELECT seq, 'second' FROM seq_201_to_300",
                "FLUSH BINARY LOGS", "INSERT INTO t VALUES (0, 'after the flush')");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(90));

        assertThat(proxy.corrupted()).as("events the proxy corrupted").isEqualTo(1);
        assertThat(kingbus.messages()).as("Kingbus's log")
                .anyMatch(line -> line.contains("has a bad CRC32: refusing to store it"));
        assertThat(replica.checksums()).isEqualTo(master.checksums());
        assertThat(replica.queryString("SELECT COUNT(*) FROM crc.t")).isEqualTo("301");

        List<String> files = master.binaryLogs();
        List<String> completed = files.subList(0, files.size() - 1);
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), completed);
    }
}
