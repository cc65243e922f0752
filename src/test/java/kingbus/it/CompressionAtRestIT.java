package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 6, compression at rest: a node with {@code kingbus.store.compression=zstd} keeps the binlog in less
 * space than it holds, and still serves it byte for byte as the master sent it: raw downloads equal the
 * master's files, and a replica equals the master. Both hold after a {@code kill -9} and restart, when every
 * segment is read back from disk (not from the recent-segment cache).
 */
class CompressionAtRestIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aCompressedStoreServesTheMastersBytesExactlyBeforeAndAfterARestart() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb replica = cleanup.add(MariaDb.start(2));
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master,
                Map.of("kingbus.store.compression", "zstd", "kingbus.store.compression-level", "3")))
                .start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);

        // Text rows (compressible), random blobs (not: stored as they are), and rotations.
        master.execute("CREATE DATABASE z", "USE z",
                "CREATE TABLE t (id INT PRIMARY KEY, v TEXT, b LONGBLOB)",
                "INSERT INTO t SELECT seq, REPEAT(CONCAT('row ', seq, ' of compressible text; '), 40), NULL"
                        + " FROM seq_1_to_3000",
                "FLUSH BINARY LOGS",
                "INSERT INTO t VALUES (100000, 'random', RANDOM_BYTES(1024)), (100001, 'random', NULL)",
                "UPDATE t SET b = (SELECT GROUP_CONCAT(RANDOM_BYTES(1000) SEPARATOR '') FROM seq_1_to_1000)"
                        + " WHERE id = 100001",
                "FLUSH BINARY LOGS",
                "UPDATE t SET v = CONCAT(v, ' updated') WHERE id <= 1000",
                "DELETE FROM t WHERE id BETWEEN 2000 AND 2500");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(90));
        assertThat(replica.checksums()).isEqualTo(master.checksums());

        List<String> files = master.binaryLogs();
        List<String> completed = files.subList(0, files.size() - 1);
        assertThat(completed).hasSizeGreaterThanOrEqualTo(2);
        long compared = BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), completed);
        assertThat(compared).as("bytes compared").isGreaterThan(3_000_000);

        long held = kingbus.metric("kingbus_store_bytes");
        long onDisk = kingbus.metric("kingbus_store_disk_bytes");
        System.out.printf("CompressionAtRestIT: %d bytes of binlog held, %d bytes on disk%n", held, onDisk);
        assertThat(held).isGreaterThan(3_000_000);
        assertThat(onDisk).as("bytes on disk for %d bytes of binlog held", held).isPositive().isLessThan(held * 3 / 4);

        // After kill -9 every segment comes from disk: still the master's bytes, and the replica goes on.
        kingbus.kill9();
        kingbus.start().awaitReady();
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), completed);
        master.execute("USE z", "INSERT INTO t VALUES (200000, REPEAT('after the restart ', 100), NULL)");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(90));
        assertThat(replica.checksums()).isEqualTo(master.checksums());
    }
}
