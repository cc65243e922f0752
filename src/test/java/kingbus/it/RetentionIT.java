package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.MariadbCli;
import kingbus.testing.Processes;
import kingbus.testing.RawClient;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Binlog retention on a 3-node cluster, as a MariaDB master keeps its own binlogs: files dropped by
 * age ({@code expire_logs_days}) and by size ({@code max_binlog_total_size}) the same on every node,
 * {@code PURGE BINARY LOGS TO/BEFORE} from the {@code mariadb} CLI, a replica asking for a purged
 * GTID gets 1236 (MariaDB's "Could not find GTID state requested by slave in any binlog files"), and
 * a replica still reading a file holds the purge back ({@code ER_WARN_PURGE_LOG_IN_USE}, 1867).
 *
 * <p>The master first runs under libfaketime, two days behind: its first three files carry a time two days
 * ago, the files after its restart the real time, so a one-day age limit must drop exactly the files
 * the master closed two days ago. The tests run in order on the same processes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetentionIT {

    private static final long SIZE_LIMIT = 30L << 20;
    private static final int ROW_BYTES = 1 << 20;
    private static final Duration SETTLE = Duration.ofSeconds(120);

    private final Cleanup cleanup = new Cleanup();
    private final Random random = new Random(6);
    private MariaDb master;
    private List<KingbusProcess> nodes;
    private String gtidInFirstFile;
    private int nextRow = 100;

    /** A failed test prints each node's readiness and its notable log lines (all its starts). */
    @RegisterExtension
    final TestWatcher diagnostics = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (nodes != null) {
                KingbusProcess.printDiagnostics(nodes);
            }
        }
    };

    @BeforeAll
    void start() {
        master = cleanup.add(MariaDb.startWith(MariaDb.fakeTime("-2d"), 1, "--max-binlog-size=10M"));
        master.execute("CREATE DATABASE r", "CREATE TABLE r.t (id INT PRIMARY KEY, data LONGBLOB)",
                "INSERT INTO r.t VALUES (1, 'two days old')");
        gtidInFirstFile = master.gtidBinlogPos();
        master.execute("FLUSH BINARY LOGS", "INSERT INTO r.t VALUES (2, 'two days old')", "FLUSH BINARY LOGS",
                "INSERT INTO r.t VALUES (3, 'two days old')");
        master.restartPlain(); // mysql-bin.000004 opens at the real time: mysql-bin.000003 closed now
        assertThat(master.binaryLogs()).containsExactly("mysql-bin.000001", "mysql-bin.000002",
                "mysql-bin.000003", "mysql-bin.000004");
        nodes = KingbusProcess.cluster(master, 3, Map.of(
                "KINGBUS_BINLOG_RETENTION_SIZE", "30M",
                "KINGBUS_BINLOG_RETENTION_AGE", "1d",
                "KINGBUS_BINLOG_RETENTION_CHECK_SECONDS", "1"));
        nodes.forEach(cleanup::add);
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
    }

    @AfterAll
    void stop() {
        cleanup.close();
    }

    @Test
    @Order(1)
    void ageRetentionDropsTheFilesTheMasterClosedBeforeTheLimitOnEveryNode() {
        for (KingbusProcess node : nodes) {
            Awaitility.await(node.nodeName() + " keeps the files closed within a day").atMost(SETTLE)
                    .ignoreExceptions().untilAsserted(() -> assertThat(binaryLogs(node).keySet())
                            .containsExactly("mysql-bin.000003", "mysql-bin.000004"));
        }
        String binlogs = nodes.get(0).adminGet("/api/v1/binlogs").body();
        assertThat(binlogs).contains("\"firstFile\":\"mysql-bin.000003\"");
        assertThat(purgedState(binlogs)).as("GTID_LIST of the first file kept").isNotEmpty();
    }

    @Test
    @Order(2)
    void aReplicaAskingForAPurgedGtidGets1236NamingThePurgedState() {
        String purged = purgedState(nodes.get(0).adminGet("/api/v1/binlogs").body());
        try (MariaDb replica = MariaDb.start(2)) {
            replica.execute("SET GLOBAL gtid_slave_pos='" + gtidInFirstFile + "'",
                    "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + nodes.get(1).mysqlPort()
                            + ", MASTER_USER='" + KingbusProcess.REPLICA_USER + "', MASTER_PASSWORD='"
                            + KingbusProcess.REPLICA_PASSWORD + "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
                    "START SLAVE");
            Awaitility.await("the replica's IO thread stops with 1236").atMost(Duration.ofSeconds(60))
                    .until(() -> "1236".equals(replica.slaveStatus().get("Last_IO_Errno")));
            String error = replica.slaveStatus().get("Last_IO_Error");
            assertThat(error).contains("Could not find GTID state requested by slave in any binlog files")
                    .contains(gtidInFirstFile).contains("'" + purged + "' is purged").contains("mysql-bin.000003");
        }
        // A file/position reader asking for a purged file: MariaDB's "Could not find first log file name".
        Processes.Outcome read = Processes.runToEnd(null, List.of("mariadb-binlog", "--no-defaults",
                "--read-from-remote-server", "--host=127.0.0.1", "--port=" + nodes.get(2).mysqlPort(),
                "--user=" + KingbusProcess.REPLICA_USER, "--password=" + KingbusProcess.REPLICA_PASSWORD,
                "mysql-bin.000001"), 60);
        assertThat(read.exitCode()).isNotZero();
        assertThat(read.output()).contains("Could not find first log file name").contains("mysql-bin.000001");
    }

    @Test
    @Order(3)
    void sizeRetentionKeepsTheNewestFilesUnderTheLimitOnEveryNodeAcrossAKill() throws Exception {
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        KingbusProcess victim = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        writeRows(25);
        victim.kill9(); // while files are being written and purged
        writeRows(25);
        victim.start();
        writeRows(10);
        awaitSizeRetentionOnEveryNode();
        victim.awaitReady();
        List<String> kept = new ArrayList<>(binaryLogs(victim).keySet());
        List<String> completed = kept.subList(0, kept.size() - 1);
        assertThat(completed).as("completed files kept").hasSizeGreaterThanOrEqualTo(2);
        long bytes = BinlogTool.assertRawFilesIdentical(master, victim.mysqlPort(), completed);
        assertThat(bytes).isGreaterThan(10L << 20);
        assertThat(victim.messages()).as("the killed node's store opened intact")
                .noneMatch(line -> line.contains("is damaged"));
    }

    @Test
    @Order(4)
    void aReplicaReadingTheOldestFileHoldsThePurgeBackAndSaysSo() throws Exception {
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        KingbusProcess holderNode = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        KingbusProcess other = nodes.stream().filter(n -> n != leader && n != holderNode).findFirst().orElseThrow();
        String oldest = binaryLogs(leader).keySet().iterator().next();
        try (RawClient holder = new RawClient(holderNode.mysqlPort(), false, 4096)) {
            assertThat(holder.login(KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD).isOk()).isTrue();
            holder.dump(4, 0, 777, oldest); // and never read: its TCP window fills, the dump stays in that file
            Awaitility.await("every node knows the reader").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(leader.adminGet("/api/v1/binlogs").body())
                            .contains("\"file\":\"" + oldest + "\"").contains("server_id 777")
                            .contains("on node " + holderNode.nodeName()));

            writeRows(35);
            Awaitility.await("retention says what holds it back").atMost(SETTLE).ignoreExceptions()
                    .untilAsserted(() -> assertThat(leader.adminGet("/api/v1/binlogs").body())
                            .contains("\"retentionHeldBack\":\"file " + oldest
                                    + " was not purged because it was being read by 1 thread(s)")
                            .contains("server_id 777").contains("on node " + holderNode.nodeName()));
            for (KingbusProcess node : nodes) {
                assertThat(binaryLogs(node).keySet().iterator().next()).as(node.nodeName() + "'s first file")
                        .isEqualTo(oldest);
            }
            List<String> held = new ArrayList<>(binaryLogs(other).keySet());
            Processes.Outcome purge = MariadbCli.run(other.mysqlPort(), KingbusProcess.ADMIN_USER,
                    KingbusProcess.ADMIN_PASSWORD, "PURGE BINARY LOGS TO '" + held.get(held.size() - 1)
                            + "'; SHOW WARNINGS");
            assertThat(purge.output()).contains("Warning\t1867\tfile " + oldest
                    + " was not purged because it was being read by 1 thread(s), purged only 0 out of")
                    .contains("server_id 777");
            assertThat(binaryLogs(other).keySet().iterator().next()).isEqualTo(oldest);
            assertThat(leader.messages()).anyMatch(line -> line.contains("Binlog retention is held back: file "
                    + oldest));
        }
        // The reader gone, retention catches up.
        awaitSizeRetentionOnEveryNode();
        assertThat(binaryLogs(nodes.get(0)).keySet()).doesNotContain(oldest);
    }

    @Test
    @Order(5)
    void purgeBinaryLogsToAndBeforeFromTheMariadbCliAndTheAdminApi() throws Exception {
        KingbusProcess node = nodes.get(1);
        Processes.Outcome denied = MariadbCli.run(node.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, "PURGE BINARY LOGS TO 'mysql-bin.000001'");
        assertThat(denied.output()).contains("ERROR 1227").contains("BINLOG ADMIN");
        Processes.Outcome unknown = MariadbCli.run(node.mysqlPort(), KingbusProcess.ADMIN_USER,
                KingbusProcess.ADMIN_PASSWORD, "PURGE BINARY LOGS TO 'mysql-bin.999999'");
        assertThat(unknown.output()).contains("ERROR 1373").contains("Target log not found in binlog index")
                .contains("mysql-bin.999999");
        Processes.Outcome badTime = MariadbCli.run(node.mysqlPort(), KingbusProcess.ADMIN_USER,
                KingbusProcess.ADMIN_PASSWORD, "PURGE BINARY LOGS BEFORE 'yesterday'");
        assertThat(badTime.output()).contains("ERROR 1210").contains("Incorrect arguments to PURGE LOGS BEFORE");

        // PURGE ... TO the second file: every node drops the first.
        List<String> held = new ArrayList<>(binaryLogs(node).keySet());
        assertThat(held).hasSizeGreaterThanOrEqualTo(3);
        Processes.Outcome to = MariadbCli.run(node.mysqlPort(), KingbusProcess.ADMIN_USER,
                KingbusProcess.ADMIN_PASSWORD, "PURGE BINARY LOGS TO '" + held.get(1) + "'");
        assertThat(to.exitCode()).as(to.output()).isZero();
        awaitFirstFileEverywhere(held.get(1));

        // PURGE ... BEFORE a time between two file closes: the file closed before it goes, the next stays.
        master.execute("FLUSH BINARY LOGS"); // closes the newest file now
        Thread.sleep(2200); // a gap in the master's clock between two rotations: nothing to wait on
        LocalDateTime cut = LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS);
        Thread.sleep(2200);
        master.execute("FLUSH BINARY LOGS");
        List<String> masterFiles = master.binaryLogs();
        String closedAfterCut = masterFiles.get(masterFiles.size() - 2);
        Awaitility.await("every node holds the newest file").atMost(SETTLE).ignoreExceptions()
                .untilAsserted(() -> nodes.forEach(n -> assertThat(binaryLogs(n).keySet())
                        .contains(masterFiles.get(masterFiles.size() - 1))));
        Processes.Outcome before = MariadbCli.run(nodes.get(2).mysqlPort(), KingbusProcess.ADMIN_USER,
                KingbusProcess.ADMIN_PASSWORD, "PURGE BINARY LOGS BEFORE '"
                        + cut.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")) + "'");
        assertThat(before.exitCode()).as(before.output()).isZero();
        awaitFirstFileEverywhere(closedAfterCut);

        // The admin API: the same purge, with credentials and a JSON body; bad input is a 4xx JSON answer.
        HttpResponse<String> bad = node.adminPost("/api/v1/binlogs/purge", "{\"to\": 42}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("\"error\":400");
        assertThat(node.adminPost("/api/v1/binlogs/purge", "{\"to\":\"mysql-bin.999999\"}").statusCode())
                .isEqualTo(400);
        HttpResponse<String> purged = node.adminPost("/api/v1/binlogs/purge",
                "{\"to\":\"" + masterFiles.get(masterFiles.size() - 1) + "\"}");
        assertThat(purged.statusCode()).as(purged.body()).isEqualTo(200);
        assertThat(purged.body()).contains("\"purgedFiles\":1");
        awaitFirstFileEverywhere(masterFiles.get(masterFiles.size() - 1));
    }

    private void awaitFirstFileEverywhere(String file) {
        for (KingbusProcess n : nodes) {
            Awaitility.await(n.nodeName() + " keeps files from " + file).atMost(Duration.ofSeconds(30))
                    .ignoreExceptions().untilAsserted(() -> assertThat(binaryLogs(n).keySet().iterator().next())
                            .isEqualTo(file));
        }
    }

    /**
     * Every node holds the master's newest file and keeps exactly the newest files whose events add
     * up to at most the limit: the one before them would have passed it.
     */
    private void awaitSizeRetentionOnEveryNode() {
        for (KingbusProcess node : nodes) {
            // The master's newest file grows a little after a write (its BINLOG_CHECKPOINT): read it at each poll.
            Awaitility.await(node.nodeName() + " keeps the newest files up to the limit").atMost(SETTLE)
                    .ignoreExceptions().untilAsserted(() -> assertThat(binaryLogs(node)).isEqualTo(keptBySize()));
        }
    }

    /** The master's newest files whose events add up to at most the limit (at least the newest one). */
    private Map<String, Long> keptBySize() {
        Map<String, Long> masterFiles = binaryLogs(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD);
        List<String> names = new ArrayList<>(masterFiles.keySet());
        int first = names.size() - 1;
        long events = masterFiles.get(names.get(first)) - 4;
        while (first > 0 && events + masterFiles.get(names.get(first - 1)) - 4 <= SIZE_LIMIT) {
            first--;
            events += masterFiles.get(names.get(first)) - 4;
        }
        Map<String, Long> expected = new LinkedHashMap<>();
        for (String name : names.subList(first, names.size())) {
            expected.put(name, masterFiles.get(name));
        }
        assertThat(expected.size()).as("the workload wrote more than the limit").isLessThan(names.size() - 2);
        return expected;
    }

    /** Rows of 1 MB of random bytes, one transaction each. */
    private void writeRows(int count) throws SQLException {
        byte[] data = new byte[ROW_BYTES];
        try (Connection c = master.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO r.t VALUES (?, ?)")) {
            for (int i = 0; i < count; i++) {
                random.nextBytes(data);
                insert.setInt(1, nextRow++);
                insert.setBytes(2, data);
                insert.executeUpdate();
            }
        }
    }

    private static Map<String, Long> binaryLogs(KingbusProcess node) {
        return binaryLogs(node.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
    }

    /** SHOW BINARY LOGS: file name to size, oldest first. */
    private static Map<String, Long> binaryLogs(int port, String user, String password) {
        try {
            return MariaDb.binaryLogSizes(port, user, password);
        } catch (SQLException e) {
            throw new IllegalStateException("SHOW BINARY LOGS on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** The {@code purgedGtidState} of a {@code GET /api/v1/binlogs} answer. */
    private static String purgedState(String json) {
        String key = "\"purgedGtidState\":\"";
        int at = json.indexOf(key);
        assertThat(at).as(json).isNotNegative();
        return json.substring(at + key.length(), json.indexOf('"', at + key.length()));
    }
}
