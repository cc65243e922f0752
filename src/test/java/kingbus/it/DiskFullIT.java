package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The node's data dir is a 48 MB tmpfs: the binlog fills it until fewer than
 * {@code kingbus.store.min-free-bytes} are left. The node then stops applying, says why in
 * {@code /health/ready}, keeps serving what it holds, and, once the tmpfs is grown, resumes on its
 * own and ends byte-identical to the master. In a cluster, a leader whose disk fills up hands
 * leadership over, so the others go on. Needs root (mount).
 */
class DiskFullIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aFullDiskStopsAppendsVisiblyAndTheyResumeWhenSpaceIsFreed() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1, "--max-binlog-size=8M"));
        master.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, data LONGBLOB)");
        KingbusProcess node = KingbusProcess.forMaster(master, Map.of("KINGBUS_STORE_MIN_FREE_BYTES", "20M"));
        Path data = onTmpfs(node, "48m");
        cleanup.add(node).start().awaitReady();

        writeRows(master, 0, 40); // 40 MB of binlog: twice that with the Raft log, far more than the tmpfs holds
        Awaitility.await("the node reports its full disk").atMost(Duration.ofSeconds(120)).ignoreExceptions()
                .until(() -> node.get("/health/ready").body(), body -> body.contains("is full")
                        && body.contains("kingbus.store.min-free-bytes") && body.contains("\"DOWN\""));
        String held = node.binlogEnd();
        String masterEnd = master.binlogEnd();
        assertThat(held).as("it stopped short of the master").isNotEqualTo(masterEnd);
        assertThat(node.messages()).anyMatch(line -> line.contains("Binlog appends are waiting: the disk of"));
        // It still serves what it holds: a raw download of its first file.
        String firstFile = master.binaryLogs().get(0);
        assertThat(node.isAlive()).isTrue();
        Path download = BinlogTool.downloadRaw(node.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, List.of(firstFile));
        assertThat(Files.size(download.resolve(firstFile))).isGreaterThan(1L << 20);
        Processes.deleteTree(download);

        Processes.run(null, List.of("mount", "-o", "remount,size=512m", data.toString()), 30);
        Awaitility.await("the node resumes and holds what the master has").atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> node.binlogEnd()
                        .equals(master.binlogEnd()));
        node.awaitReady();
        assertThat(node.messages()).anyMatch(line -> line.contains("Binlog appends resumed"));
        List<String> files = master.binaryLogs();
        BinlogTool.assertRawFilesIdentical(master, node.mysqlPort(), files.subList(0, files.size() - 1));
        assertThat(node.messages()).as("nothing was damaged").noneMatch(line -> line.contains("is damaged"));
    }

    @Test
    void aLeaderWhoseDiskFillsUpHandsOverAndTheOthersGoOn() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1, "--max-binlog-size=8M"));
        master.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, data LONGBLOB)");
        List<KingbusProcess> nodes = KingbusProcess.cluster(master, 3, Map.of("KINGBUS_STORE_MIN_FREE_BYTES", "20M"));
        for (KingbusProcess node : nodes) {
            onTmpfs(node, "512m");
            cleanup.add(node);
        }
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
        KingbusProcess full = KingbusProcess.leaderOf(nodes);
        List<KingbusProcess> others = nodes.stream().filter(n -> n != full).toList();
        Processes.run(null, List.of("mount", "-o", "remount,size=48m", full.dir().resolve("data").toString()), 30);

        writeRows(master, 0, 40); // 40 MB of binlog, 80 with the Raft log: the leader's disk fills up
        Awaitility.await("the others elect a leader and hold what the master has").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> {
                    String masterEnd = master.binlogEnd(); // read each time: a checkpoint event follows a rotation
                    for (KingbusProcess node : others) {
                        assertThat(node.binlogEnd()).as(node.nodeName()).isEqualTo(masterEnd);
                    }
                });
        KingbusProcess.leaderOf(others); // one of the others leads
        assertThat(full.role()).as("the full node's role").isNotEqualTo("leader");
        String ready = full.get("/health/ready").body();
        assertThat(ready).contains("\"DOWN\"").contains("left the Raft group").contains("is full");
        assertThat(full.binlogEnd()).as("the full node stopped short of the master").isNotEqualTo(master.binlogEnd());
        assertThat(full.messages()).anyMatch(line -> line.contains("The Raft leader cannot append"));
        String firstFile = master.binaryLogs().get(0);
        Path download = BinlogTool.downloadRaw(full.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, List.of(firstFile));
        assertThat(Files.size(download.resolve(firstFile))).as("it still serves what it holds")
                .isGreaterThan(1L << 20);
        Processes.deleteTree(download);

        writeRows(master, 40, 5); // more while it is out
        Processes.run(null, List.of("mount", "-o", "remount,size=512m", full.dir().resolve("data").toString()), 30);
        Awaitility.await("the full node joins again and catches up").atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> full.binlogEnd().equals(master.binlogEnd()));
        full.awaitReady();
        assertThat(full.messages()).anyMatch(line -> line.contains("joining the Raft group again"));
        List<String> files = master.binaryLogs();
        for (KingbusProcess node : nodes) {
            BinlogTool.assertRawFilesIdentical(master, node.mysqlPort(), files.subList(0, files.size() - 1));
            assertThat(node.messages()).as(node.nodeName() + ": nothing was damaged")
                    .noneMatch(line -> line.contains("is damaged"));
        }
    }

    /** Mounts a tmpfs of {@code size} as the node's data dir, unmounted (and the node's dir removed) by the cleanup. */
    private Path onTmpfs(KingbusProcess node, String size) throws IOException {
        Path data = node.dir().resolve("data");
        Files.createDirectories(data);
        Processes.run(null, List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", data.toString()), 30);
        cleanup.add(() -> {
            Processes.runToEnd(null, List.of("umount", "-l", data.toString()), 30);
            Processes.deleteTree(node.dir());
        });
        return data;
    }

    private static void writeRows(MariaDb master, int from, int count) throws SQLException {
        Random random = new Random(8);
        byte[] data = new byte[1 << 20];
        try (Connection c = master.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO d.t VALUES (?, ?)")) {
            for (int i = 0; i < count; i++) {
                random.nextBytes(data);
                insert.setInt(1, from + i);
                insert.setBytes(2, data);
                insert.executeUpdate();
            }
        }
    }

}
