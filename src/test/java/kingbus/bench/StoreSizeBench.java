package kingbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.RawClient;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 6's store benchmark, run by {@code bench/store-size.sh} (not part of {@code mvn verify}):
 * a MariaDB master writes {@code kingbus.bench.store-gb} GB of row binlog (BLACKHOLE table, so
 * only the binlog grows), one Kingbus node stores all of it, and the run measures heap after a full
 * GC and RSS, restart time after a clean stop and after kill -9 (and, as the floor in the same run, of the same
 * server with an empty store), and the time to read the whole binlog with a raw dump from Kingbus and from the
 * master, one after the other.
 */
class StoreSizeBench {

    private static final double GB = Double.parseDouble(System.getProperty("kingbus.bench.store-gb", "10"));
    private static final int ROWS = Integer.getInteger("kingbus.bench.rows-per-transaction", 250);
    /** kingbus.store.compression for the node (none or zstd). */
    private static final String COMPRESSION = System.getProperty("kingbus.bench.store-compression", "none");
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void storeOfManyGigabytes() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1, "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
                "--plugin-load-add=ha_blackhole"));
        master.execute("CREATE DATABASE b", "CREATE TABLE b.t (id INT, pad VARCHAR(4000)) ENGINE=BLACKHOLE");
        long target = (long) (GB * (1L << 30));
        long written = 0;
        long begin = System.nanoTime();
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            s.execute("USE b");
            // One statement: ROWS rows of 4,000 bytes in one transaction, 250 (1 MB) by default. A transaction
            // is held whole in memory on its way in: 10 MB ones ran a 512 MB node out of heap (docs/BENCHMARKS.md).
            for (int batch = 0; written < target; batch++) {
                s.execute("INSERT INTO t SELECT " + batch + " * " + ROWS + " + seq, REPEAT(CHAR(65 + (seq + " + batch
                        + ") % 26), 4000) FROM seq_1_to_" + ROWS);
                if (batch % 50 == 49) {
                    written = master.binlogBytes();
                }
            }
        }
        double writeSeconds = (System.nanoTime() - begin) / 1e9;

        KingbusProcess node = cleanup.add(KingbusProcess.forMaster(master, Map.of(
                "KINGBUS_RAFT_MAX_LOG_BYTES", String.valueOf(1L << 30), "KINGBUS_STORE_COMPRESSION", COMPRESSION)))
                .installedServer();
        long ingestBegin = System.nanoTime();
        node.start();
        Awaitility.await("Kingbus holds the master's binlog").atMost(Duration.ofHours(2))
                .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> node.binlogEnd().equals(master.binlogEnd()));
        double ingestSeconds = (System.nanoTime() - ingestBegin) / 1e9;
        String masterEnd = master.binlogEnd();
        node.awaitReady();

        long heapAfterGcMb = Math.round(BenchEnv.heapAfterFullGcMb(node.pid()));
        long storeBytes = node.metric("kingbus_store_bytes");
        long storeDiskBytes = node.metric("kingbus_store_disk_bytes");
        long rssMb = Math.round(BenchEnv.rssMb(node.pid()));

        long stopBegin = System.nanoTime();
        node.stop();
        double stopSeconds = (System.nanoTime() - stopBegin) / 1e9;
        double cleanRestart = secondsToReady(node);
        node.kill9();
        double killRestart = secondsToReady(node);
        // The runnable jar extracts itself and starts Liberty cold at every start.
        node.stop();
        double jarRestart = secondsToReady(node.installedServer(false));
        assertThat(node.binlogEnd()).as("nothing lost across the restarts").isEqualTo(masterEnd);
        // where each start spent its time
        node.messages().stream().filter(line -> line.contains("CWWKE0001I") || line.contains("CWWKZ0018I")
                || line.contains("Loading Web Module: kingbus") || line.contains("Binlog store opened")
                || line.contains("Joined Raft") || line.contains("Raft role") || line.contains("CWWKF0011I")
                || line.contains("Binlog store verified") || line.contains("Raft log at start"))
                .forEach(line -> System.out.println("START " + line));

        String firstFile = master.binaryLogs().get(0);
        double fromKingbus = readAll(node.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD,
                firstFile, written);
        double fromMaster = readAll(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, firstFile, written);

        // The floor, in the same run: the same installed server with an empty store (no master), restarted the same
        // two ways; what the big store adds is the difference.
        node.stop();
        KingbusProcess empty = cleanup.add(KingbusProcess.create(Map.of())).installedServer();
        empty.start().awaitReady();
        empty.stop();
        double emptyCleanRestart = secondsToReady(empty);
        empty.kill9();
        double emptyKillRestart = secondsToReady(empty);
        empty.stop();

        String row = String.format("| %s | %.1f GB of row binlog, %d files | master wrote it in %.0f s; one node"
                        + " stored it in %.0f s (%.0f MB/s); compression at rest: %s, %.1f MB on disk for %.1f MB held | heap after full GC %d MB (target < 512), RSS %d MB |"
                        + " start to ready (installed server, as `mvn liberty:run`): %.1f s after a clean stop (which"
                        + " took %.1f s), %.1f s after kill -9 (target < 10); runnable jar: %.1f s after a clean stop;"
                        + " the same server with an empty store, same run: %.1f s after a clean stop, %.1f s after kill -9 |"
                        + " reading all of it with a raw dump: Kingbus %.1f s, master %.1f s (%.2fx the master's speed) |"
                        + " `%sGB=%s bench/store-size.sh` |",
                LocalDate.now(), written / 1e9, master.binaryLogs().size(), writeSeconds, ingestSeconds,
                written / 1e6 / ingestSeconds, COMPRESSION, storeDiskBytes / 1e6, storeBytes / 1e6, heapAfterGcMb, rssMb, cleanRestart, stopSeconds, killRestart, jarRestart,
                emptyCleanRestart, emptyKillRestart, fromKingbus,
                fromMaster, fromMaster / fromKingbus, COMPRESSION.equals("none") ? "" : "COMPRESSION=" + COMPRESSION + " ",
                System.getProperty("kingbus.bench.store-gb", "10"));
        System.out.println("STORE RESULT: " + row);
        String report = System.getProperty("kingbus.bench.report");
        if (report != null) {
            Files.writeString(Path.of(report), row + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /** Seconds from starting {@code node} until {@code /health/ready} answers 200 (Liberty's own start included). */
    private static double secondsToReady(KingbusProcess node) {
        long begin = System.nanoTime();
        node.start().awaitReady();
        return (System.nanoTime() - begin) / 1e9;
    }

    /** Seconds to read every event from {@code file} on, with a non-blocking raw dump, as a replica would. */
    private static double readAll(int port, String user, String password, String file, long expectedBytes)
            throws IOException {
        long begin = System.nanoTime();
        long bytes = 0;
        try (RawClient client = new RawClient(port, false)) {
            assertThat(client.login(user, password).isOk()).isTrue();
            client.query("SET @master_binlog_checksum='CRC32'");
            client.dump(4, 1 /* BINLOG_DUMP_NON_BLOCK */, 9999, file);
            while (true) {
                byte[] packet = client.readStreamPacket();
                if ((packet[0] & 0xFF) != 0) {
                    assertThat(packet[0] & 0xFF).as("the dump ends with EOF, not an error").isEqualTo(0xFE);
                    break;
                }
                bytes += packet.length - 1;
            }
        }
        assertThat(bytes).isGreaterThan(expectedBytes * 9 / 10);
        return (System.nanoTime() - begin) / 1e9;
    }
}
