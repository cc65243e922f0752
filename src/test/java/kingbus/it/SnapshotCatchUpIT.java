package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.MariadbCli;
import kingbus.testing.Processes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A follower that was down while the cluster wrote more than the Raft log keeps
 * ({@code kingbus.raft.max-log-bytes} = 1 MiB here) and purged every file the follower held rejoins
 * through a Raft snapshot: it drops its old files, streams the files the cluster keeps from the
 * leader's MySQL port, serves them byte-identical to the master, and follows the log afterwards.
 */
class SnapshotCatchUpIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final Random random = new Random(7);

    @Test
    void followerDownPastThePurgeAndTheLogTruncationRejoinsThroughASnapshot() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1, "--max-binlog-size=8M"));
        master.execute("CREATE DATABASE s", "CREATE TABLE s.t (id INT PRIMARY KEY, data LONGBLOB)");
        List<KingbusProcess> nodes = KingbusProcess.cluster(master, 3,
                Map.of("KINGBUS_RAFT_MAX_LOG_BYTES", String.valueOf(1 << 20)));
        nodes.forEach(cleanup::add);
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        KingbusProcess follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        awaitSameEnd(master, follower);
        String followerNewest = lastFile(follower);
        follower.stop();

        writeRows(master, 0, 30); // about 30 MB: 4 files, and 30 times the Raft log's limit
        master.execute("FLUSH BINARY LOGS");
        awaitSameEnd(master, leader);
        List<String> masterFiles = master.binaryLogs();
        String firstKept = masterFiles.get(masterFiles.size() - 3);
        Processes.Outcome purge = MariadbCli.run(leader.mysqlPort(), KingbusProcess.ADMIN_USER,
                KingbusProcess.ADMIN_PASSWORD, "PURGE BINARY LOGS TO '" + firstKept + "'");
        assertThat(purge.exitCode()).as(purge.output()).isZero();
        assertThat(firstKept.compareTo(followerNewest)).as("every file the follower holds is purged").isPositive();

        // The master keeps writing while the follower rejoins, so the fetch ends inside a Raft entry that
        // comes after the snapshot: the follower must take that entry's tail, not leave a hole.
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            try (Connection c = master.connect(); Statement s = c.createStatement()) {
                for (int i = 0; writing.get(); i++) {
                    s.execute("INSERT INTO s.t VALUES (" + (1000 + i) + ", REPEAT('w', 20000))");
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, "rejoin-writer");
        writer.start();
        follower.start();
        Thread.sleep(5000); // keep writing through the snapshot install; nothing to wait on
        writing.set(false);
        writer.join(30_000);
        master.execute("FLUSH BINARY LOGS");
        awaitSameEnd(master, follower);
        follower.awaitReady();
        assertThat(follower.messages()).anyMatch(line -> line.contains("Caught up to the Raft snapshot"));
        assertThat(files(follower)).isEqualTo(files(leader));
        assertThat(files(follower).get(0)).isEqualTo(firstKept);
        List<String> kept = files(follower);
        BinlogTool.assertRawFilesIdentical(master, follower.mysqlPort(), kept.subList(0, kept.size() - 1));

        // Afterwards it follows the Raft log as any follower.
        writeRows(master, 30, 3);
        awaitSameEnd(master, follower);
    }

    private void writeRows(MariaDb master, int from, int count) throws SQLException {
        byte[] data = new byte[1 << 20];
        try (Connection c = master.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO s.t VALUES (?, ?)")) {
            for (int i = 0; i < count; i++) {
                random.nextBytes(data);
                insert.setInt(1, from + i);
                insert.setBytes(2, data);
                insert.executeUpdate();
            }
        }
    }

    private static void awaitSameEnd(MariaDb master, KingbusProcess node) {
        Awaitility.await(node.nodeName() + " holds what the master has").atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> node.binlogEnd()
                        .equals(master.binlogEnd()));
    }

    private static String lastFile(KingbusProcess node) throws SQLException {
        String end = node.binlogEnd();
        return end.substring(0, end.indexOf(':'));
    }

    private static List<String> files(KingbusProcess node) throws SQLException {
        return new ArrayList<>(node.binaryLogSizes().keySet());
    }
}
