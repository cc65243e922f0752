package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A follower is stopped while the master writes {@code kingbus.catchup.mb} MB of binlog (20 in CI;
 * {@code bench/catchup.sh} uses 200), then started again: it catches up from the leader through the
 * Raft log and then serves every completed file byte-identical to the master and the leader.
 */
class FollowerCatchUpIT {

    private static final int MEGABYTES = Integer.getInteger("kingbus.catchup.mb", 20);

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void stoppedFollowerCatchesUpAndServesTheSameBytes() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1, "--max-binlog-size=" + (64L << 20)));
        master.execute("CREATE DATABASE bulk", "CREATE TABLE bulk.t (id INT PRIMARY KEY, pad VARCHAR(1000))");
        List<KingbusProcess> nodes = KingbusProcess.cluster(master, 3);
        nodes.forEach(cleanup::add);
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        KingbusProcess follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        follower.stop();

        // About 1 MB of binlog per transaction of 1000 rows of 1000 bytes.
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            s.execute("USE bulk"); // the sequence engine needs a current database
            for (int batch = 0; batch < MEGABYTES; batch++) {
                s.execute("INSERT INTO bulk.t SELECT " + batch * 1000 + " + seq, REPEAT(CHAR(65 + seq % 26), 1000)"
                        + " FROM seq_1_to_1000");
                if (batch % 50 == 49) {
                    s.execute("FLUSH BINARY LOGS");
                }
            }
            s.execute("FLUSH BINARY LOGS");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        // The master writes the new file's BINLOG_CHECKPOINT event a moment after FLUSH BINARY LOGS
        // returns: compare with the master's position as it is at each poll.
        Awaitility.await("the leader holds what the master has").atMost(Duration.ofSeconds(300))
                .until(() -> leader.binlogEnd().equals(master.binlogEnd()));

        long restartedAt = System.nanoTime();
        follower.start();
        Awaitility.await("the restarted follower holds what the master has").atMost(Duration.ofSeconds(600))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> follower.binlogEnd().equals(master.binlogEnd()));
        double catchUpSeconds = (System.nanoTime() - restartedAt) / 1e9;

        List<String> files = master.binaryLogs();
        List<String> completed = files.subList(0, files.size() - 1);
        long bytes = BinlogTool.assertRawFilesIdentical(master, follower.mysqlPort(), completed);
        assertThat(bytes).isGreaterThan(MEGABYTES * 900_000L);
        String result = String.format("%s | %.0f MB written while a follower was stopped | restart to caught up"
                + " (start of Liberty included): %.1f s | %d completed files byte-identical to the master |",
                LocalDate.now(), bytes / 1e6, catchUpSeconds, completed.size());
        System.out.println("CATCH-UP RESULT: " + result);
        String report = System.getProperty("kingbus.catchup.report");
        if (report != null) {
            Files.writeString(Path.of(report), "| " + result + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
    }

}
