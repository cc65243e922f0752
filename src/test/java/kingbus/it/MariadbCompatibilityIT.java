package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import kingbus.protocol.binlog.LogEvent;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariadbCli;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;
import kingbus.testing.ProtocolFuzzer;
import kingbus.testing.RawClient;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 5: a MariaDB 10.11 replica or binlog tool cannot tell Kingbus from the master. A real
 * master writes compressed events ({@code log_bin_compress=ON} with the smallest threshold, so even
 * {@code XA COMMIT} statements are compressed), one file with {@code binlog_checksum=NONE} among
 * CRC32 files, a 40 MB row, STATEMENT and MIXED transactions, XA, a sequence and two GTID domains;
 * one Kingbus node (itself a semi-sync replica of the master) serves a GTID replica (semi-sync) and
 * a file/position replica,
 * {@code mariadb-binlog} and the {@code mariadb} CLI. The tests run in order on the same processes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MariadbCompatibilityIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(120);
    private static final int BIG_ROW_BYTES = 40 << 20;

    private MariaDb master;
    private MariaDb gtidReplica;
    private MariaDb fileReplica;
    private KingbusProcess kingbus;
    private final Cleanup cleanup = new Cleanup();

    @BeforeAll
    void start() {
        master = cleanup.add(MariaDb.start(1, "--log-bin-compress=ON", "--log-bin-compress-min-len=10",
                "--rpl-semi-sync-master-enabled=ON", "--rpl-semi-sync-master-timeout=10000"));
        gtidReplica = cleanup.add(MariaDb.start(2, "--rpl-semi-sync-slave-enabled=ON"));
        fileReplica = cleanup.add(MariaDb.start(3));
        String firstFile = master.binaryLogs().get(0);
        // The node has the default 512 MiB heap: the 40 MB row is stored as segments of at most 1 MiB.
        kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of("KINGBUS_MASTER_SEMI_SYNC", "true")))
                .start().awaitReady();
        gtidReplica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
        fileReplica.replicateByPositionFrom(kingbus, firstFile);
    }

    @AfterAll
    void stop() {
        cleanup.close();
    }

    @Test
    @Order(1)
    void everyKindOfTransactionReachesAGtidAndAFilePositionReplica() throws SQLException {
        master.execute(
                "CREATE DATABASE compat", "USE compat",
                "CREATE TABLE r (id INT PRIMARY KEY, v VARCHAR(200))",
                "CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(200))",
                "CREATE TABLE x (id INT PRIMARY KEY, v VARCHAR(200))",
                "CREATE TABLE b (id INT PRIMARY KEY, data LONGBLOB)",
                "CREATE SEQUENCE seq1 START WITH 100000",
                // Compressed row and query events.
                "INSERT INTO r SELECT seq, REPEAT(CONCAT('row-', seq), 10) FROM seq_1_to_300",
                "SET SESSION binlog_format='STATEMENT'",
                "INSERT INTO s VALUES (1, 'statement one'), (2, 'statement two')",
                "UPDATE s SET v = CONCAT(v, ' updated') WHERE id = 2",
                "SET SESSION binlog_format='MIXED'",
                "INSERT INTO s VALUES (3, 'mixed, safe as a statement')",
                "INSERT INTO s VALUES (4, UUID())", // unsafe: MIXED logs it as rows
                "SET SESSION binlog_format='ROW'",
                "FLUSH BINARY LOGS",
                "XA START 'kingbus-xa1'", "INSERT INTO x VALUES (1, 'xa committed')", "XA END 'kingbus-xa1'",
                "XA PREPARE 'kingbus-xa1'", "XA COMMIT 'kingbus-xa1'",
                "XA START 'kingbus-xa2'", "INSERT INTO x VALUES (2, 'xa rolled back')", "XA END 'kingbus-xa2'",
                "XA PREPARE 'kingbus-xa2'", "XA ROLLBACK 'kingbus-xa2'",
                "SET SESSION gtid_domain_id=2",
                "INSERT INTO r VALUES (1001, 'domain two'), (1002, 'domain two')",
                "UPDATE r SET v = 'domain two, updated' WHERE id = 1001",
                "SET SESSION gtid_domain_id=0",
                "INSERT INTO r VALUES (NEXTVAL(seq1), 'from the sequence'), (NEXTVAL(seq1), 'from the sequence')",
                "FLUSH BINARY LOGS",
                "SET GLOBAL binlog_checksum='NONE'", // rotates: the next file has no checksums
                "INSERT INTO r SELECT 2000 + seq, 'written without checksums' FROM seq_1_to_50",
                "SET SESSION gtid_domain_id=2",
                "INSERT INTO r VALUES (3001, 'domain two, no checksums')",
                "SET SESSION gtid_domain_id=0",
                "SET GLOBAL binlog_checksum='CRC32'");
        byte[] big = new byte[BIG_ROW_BYTES];
        new Random(5).nextBytes(big);
        try (Connection c = master.connect(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO compat.b VALUES (1, ?)")) {
            insert.setBytes(1, big);
            insert.executeUpdate();
        }
        master.execute("FLUSH BINARY LOGS", "INSERT INTO compat.r VALUES (5000, 'after the big row')");

        String target = master.gtidBinlogPos();
        assertThat(target).contains("0-1-").contains("2-1-");
        try {
            gtidReplica.awaitSlavePos(target, CATCH_UP);
            fileReplica.awaitSlavePos(target, CATCH_UP);
        } catch (RuntimeException | AssertionError e) {
            System.err.println("readiness: " + kingbus.get("/health/ready").body() + "\nkingbus log:\n"
                    + kingbus.logTail() + "\ngtid replica: " + gtidReplica.slaveStatus());
            throw e;
        }
        Map<String, Long> expected = master.checksums();
        assertThat(expected).containsKeys("`compat`.`r`", "`compat`.`s`", "`compat`.`x`", "`compat`.`b`");
        String sequence = "SELECT next_not_cached_value FROM compat.seq1";
        assertThat(gtidReplica.queryString(sequence)).isEqualTo(master.queryString(sequence));
        assertThat(fileReplica.queryString(sequence)).isEqualTo(master.queryString(sequence));
        assertThat(gtidReplica.checksums()).isEqualTo(expected);
        assertThat(fileReplica.checksums()).isEqualTo(expected);
        assertThat(fileReplica.queryString("SELECT GROUP_CONCAT(id) FROM compat.x")).isEqualTo("1");
        assertThat(fileReplica.queryString("SELECT LENGTH(data) FROM compat.b WHERE id = 1"))
                .isEqualTo(String.valueOf(BIG_ROW_BYTES));

        // The file/position replica reads the master's own coordinates from Kingbus.
        Map<String, String> status = fileReplica.slaveStatus();
        assertThat(status.get("Using_Gtid")).isEqualTo("No");
        Awaitility.await().atMost(CATCH_UP).untilAsserted(() -> {
            Map<String, String> now = fileReplica.slaveStatus();
            String[] masterStatus = masterStatus();
            assertThat(now.get("Master_Log_File")).isEqualTo(masterStatus[0]);
            assertThat(now.get("Read_Master_Log_Pos")).isEqualTo(masterStatus[1]);
        });
    }

    @Test
    @Order(2)
    void aSemiSyncReplicaNegotiatesSemiSyncAndAcknowledgesEachTransaction() {
        // MariaDB's replica turns semi-sync on when the master has rpl_semi_sync_master_enabled.
        assertThat(gtidReplica.queryString("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                + " WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'")).isEqualTo("ON");
        long before = semiSyncAcks();
        master.execute("INSERT INTO compat.r VALUES (7001, 'acknowledged'), (7002, 'acknowledged')",
                "INSERT INTO compat.r VALUES (7003, 'acknowledged')");
        gtidReplica.awaitSlavePos(master.gtidBinlogPos(), CATCH_UP);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> semiSyncAcks() >= before + 2);
        assertThat(gtidReplica.slaveStatus().get("Slave_IO_Running")).isEqualTo("Yes");
        assertThat(fileReplica.slaveStatus().get("Slave_IO_Running")).isEqualTo("Yes");
    }

    @Test
    @Order(3)
    void upstreamKingbusAcknowledgesEachTransactionOnlyOnceItIsCommitted() throws IOException {
        long yesBefore = master.globalStatus("Rpl_semi_sync_master_yes_tx");
        assertThat(master.globalStatus("Rpl_semi_sync_master_clients")).isEqualTo(1);
        try (RawClient client = new RawClient(kingbus.mysqlPort(), false)) {
            assertThat(client.login(KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD).isOk()).isTrue();
            for (int i = 0; i < 20; i++) {
                master.execute("INSERT INTO compat.r VALUES (" + (8000 + i) + ", 'semi-sync " + i + "')");
                // The master's commit returned, so Kingbus acknowledged it: it must be committed there already.
                String masterPosition = master.gtidBinlogPos();
                String kingbusPosition = client.query("SELECT @@gtid_binlog_pos").value();
                assertThat(kingbusPosition).as("Kingbus's committed position right after commit %d", i)
                        .isEqualTo(masterPosition);
            }
        }
        assertThat(master.globalStatus("Rpl_semi_sync_master_yes_tx")).isGreaterThanOrEqualTo(yesBefore + 20);
        assertThat(master.globalStatus("Rpl_semi_sync_master_no_tx")).as("transactions that timed out waiting")
                .isZero();
        String syncer = kingbus.request(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + kingbus.httpPort() + "/api/v1/syncer")).header("Authorization", "Basic "
                + java.util.Base64.getEncoder().encodeToString((KingbusProcess.ADMIN_USER + ":"
                        + KingbusProcess.ADMIN_PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8)))).body();
        assertThat(syncer).containsPattern("\"semiSyncAcksSent\":[1-9]");
    }

    private long semiSyncAcks() {
        return kingbus.metric("kingbus_semi_sync_acks");
    }

    private String[] masterStatus() {
        String out = cli(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, "SHOW MASTER STATUS").output();
        return out.lines().skip(1).findFirst().orElseThrow().split("\t");
    }

    @Test
    @Order(4)
    void rawDownloadsAreByteIdenticalForCompressedChecksumlessAndHugeEvents() throws IOException {
        List<String> files = new ArrayList<>(master.binaryLogs());
        files.remove(files.size() - 1); // the open file may still grow
        assertThat(files).hasSizeGreaterThanOrEqualTo(4);
        Path fromMaster = BinlogTool.downloadRaw(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, files);
        Path fromKingbus = BinlogTool.downloadRaw(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, files);
        Set<Integer> types = new HashSet<>();
        Set<Integer> algorithms = new HashSet<>();
        long largest = 0;
        for (String file : files) {
            byte[] expected = Files.readAllBytes(fromMaster.resolve(file));
            byte[] actual = Files.readAllBytes(fromKingbus.resolve(file));
            assertThat(Arrays.mismatch(actual, expected)).as("first differing byte of %s", file).isEqualTo(-1);
            for (int offset = 4; offset < expected.length; ) {
                int size = (int) LogEvent.uint32(expected, offset + 9);
                int type = expected[offset + 4] & 0xFF;
                types.add(type);
                if (type == LogEvent.FORMAT_DESCRIPTION_EVENT) {
                    algorithms.add(LogEvent.checksumAlgorithm(Arrays.copyOfRange(expected, offset, offset + size)));
                }
                largest = Math.max(largest, size);
                offset += size;
            }
        }
        assertThat(types).as("compressed query and row events").contains(165).containsAnyOf(166, 167, 168, 169, 170, 171);
        assertThat(types).as("XA_PREPARE_LOG_EVENT").contains(LogEvent.XA_PREPARE_LOG_EVENT);
        assertThat(algorithms).as("checksum algorithms of the files' FDEs")
                .contains(LogEvent.BINLOG_CHECKSUM_ALG_CRC32, LogEvent.BINLOG_CHECKSUM_ALG_OFF);
        assertThat(largest).as("an event over 16 MiB").isGreaterThan(BIG_ROW_BYTES);
        // Compressed XA COMMIT statements were recognised as group ends, not taken whole by the fallback.
        assertThat(kingbus.messages()).noneMatch(line -> line.contains("had not ended"));
        Processes.deleteTree(fromMaster);
        Processes.deleteTree(fromKingbus);
    }

    @Test
    @Order(5)
    void statusCommandsInTheMariadbCliAnswerLikeTheMaster() throws IOException {
        Awaitility.await().atMost(CATCH_UP).untilAsserted(() -> assertThat(
                cli(kingbus.mysqlPort(), KingbusProcess.ADMIN_USER, KingbusProcess.ADMIN_PASSWORD, "SHOW MASTER STATUS")
                        .output()).isEqualTo(cli(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD,
                                "SHOW MASTER STATUS").output()));
        for (String statement : List.of("SHOW BINARY LOGS", "SHOW MASTER LOGS",
                "SHOW VARIABLES LIKE 'gtid_binlog_pos'", "SHOW VARIABLES LIKE 'binlog_checksum'",
                "SELECT @@gtid_binlog_pos, @@global.gtid_current_pos, @@binlog_checksum, @@log_bin")) {
            assertThat(cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD, statement)
                    .output()).as(statement)
                    .isEqualTo(cli(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, statement).output());
        }

        String serverId = cliValue("SELECT @@server_id");
        assertThat(serverId).isEqualTo(cliValue("SHOW VARIABLES LIKE 'server_id'").split("\t")[1]);
        assertThat(cliValue("SELECT VERSION()")).contains("MariaDB");
        assertThat(cliValue("SELECT @@server_uuid")).matches("[0-9a-f-]{36}");

        String hosts = cli(kingbus.mysqlPort(), KingbusProcess.ADMIN_USER, KingbusProcess.ADMIN_PASSWORD,
                "SHOW REPLICA HOSTS").output();
        List<String> lines = hosts.lines().toList();
        assertThat(lines.get(0)).isEqualTo("Server_id\tHost\tPort\tMaster_id");
        Map<String, String> masterIdByReplica = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] columns = line.split("\t", -1);
            masterIdByReplica.put(columns[0], columns[3]);
        }
        assertThat(masterIdByReplica).containsEntry("2", serverId).containsEntry("3", serverId);

        // MariaDB answers what it cannot parse with 1064 and keeps the session; so does Kingbus.
        // The statements go through stdin: with -e the client stops at the first error even with --force.
        Path script = Files.createTempFile("kingbus-cli", ".sql");
        Files.writeString(script, "SELECT * FROM mysql.user;\nSELECT @@server_id AS still_here;\n");
        Processes.Outcome unsupported = Processes.runToEnd(null, List.of("bash", "-c", "mariadb --no-defaults"
                + " --protocol=TCP --host=127.0.0.1 --port=" + kingbus.mysqlPort() + " --user="
                + KingbusProcess.ADMIN_USER + " --password=" + KingbusProcess.ADMIN_PASSWORD + " --batch --force < "
                + script), 60);
        Files.delete(script);
        assertThat(unsupported.output()).contains("ERROR 1064").contains("Kingbus does not support")
                .contains("still_here\n" + serverId);

        Processes.Outcome denied = cli(kingbus.mysqlPort(), KingbusProcess.ADMIN_USER, "wrong", "SELECT 1");
        assertThat(denied.exitCode()).isEqualTo(1);
        assertThat(denied.output()).contains("ERROR 1045");
    }

    /**
     * {@code SHOW BINLOG EVENTS} (what a DBA reads, and canal's first query) answers like the master for every file:
     * compressed, XA, checksum-less and 40 MB events; {@code FROM} and {@code LIMIT}; error 1220 for a file not held,
     * a position inside an event, and one past the end.
     */
    @Test
    @Order(5)
    void showBinlogEventsListsEveryFileLikeTheMaster() {
        Awaitility.await().atMost(CATCH_UP).untilAsserted(() -> assertThat(
                cli(kingbus.mysqlPort(), KingbusProcess.ADMIN_USER, KingbusProcess.ADMIN_PASSWORD, "SHOW MASTER STATUS")
                        .output()).isEqualTo(cli(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD,
                                "SHOW MASTER STATUS").output()));
        List<String> files = master.binaryLogs();
        String second = files.get(1);
        List<String> statements = new java.util.ArrayList<>();
        files.forEach(file -> statements.add("SHOW BINLOG EVENTS IN '" + file + "'"));
        statements.addAll(List.of("SHOW BINLOG EVENTS", "SHOW BINLOG EVENTS LIMIT 1",
                "SHOW BINLOG EVENTS IN '" + second + "' FROM 256 LIMIT 2",
                "SHOW BINLOG EVENTS IN '" + second + "' LIMIT 1, 3", "SHOW BINLOG EVENTS LIMIT 2 OFFSET 3",
                "SHOW BINLOG EVENTS FROM 0 LIMIT 1",
                "SHOW BINLOG EVENTS IN 'mysql-bin.999999'", "SHOW BINLOG EVENTS IN '" + second + "' FROM 257",
                "SHOW BINLOG EVENTS IN '" + second + "' FROM 999999999"));
        for (String statement : statements) {
            Processes.Outcome fromKingbus = cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                    KingbusProcess.REPLICA_PASSWORD, statement);
            Processes.Outcome fromMaster = cli(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, statement);
            List<String> expected = fromMaster.output().lines().toList();
            List<String> actual = fromKingbus.output().lines().toList();
            // Compared line by line, each cut to 300 characters in the message: one file holds a 40 MB statement.
            for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
                if (!actual.get(i).equals(expected.get(i))) {
                    assertThat(abbreviate(actual.get(i))).as(statement + ", line " + (i + 1))
                            .isEqualTo(abbreviate(expected.get(i)));
                    assertThat(actual.get(i).equals(expected.get(i)))
                            .as(statement + ", line " + (i + 1) + " differs beyond its first 300 characters").isTrue();
                }
            }
            assertThat(actual).as(statement + ": lines").hasSameSizeAs(expected);
            assertThat(fromKingbus.exitCode()).as(statement).isEqualTo(fromMaster.exitCode());
        }
        assertThat(cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD,
                "SHOW BINLOG EVENTS IN 'mysql-bin.999999'").output()).contains("ERROR 1220");
    }

    private static String abbreviate(String line) {
        return line.length() > 300 ? line.substring(0, 300) + "... (" + line.length() + " characters)" : line;
    }

    private String cliValue(String sql) {
        Processes.Outcome outcome = cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, sql);
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        return outcome.output().lines().skip(1).findFirst().orElseThrow();
    }

    @Test
    @Order(6)
    void positionsKingbusCannotServeAreRefusedWith1236AndGtidPositionsMatchTheMaster() {
        List<String> files = master.binaryLogs();
        String file = files.get(1);
        List<Long> ends = new ArrayList<>();
        try (Connection c = master.connect(); var statement = c.createStatement();
                var rows = statement.executeQuery("SHOW BINLOG EVENTS IN '" + file + "' LIMIT 8")) {
            while (rows.next()) {
                ends.add(rows.getLong("End_log_pos"));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        long boundary = ends.get(ends.size() - 1);
        for (long position : List.of(boundary, boundary + 1, 4L)) {
            String sql = "SELECT binlog_gtid_pos('" + file + "', " + position + ")";
            assertThat(cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD, sql)
                    .output()).as(sql).isEqualTo(cli(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, sql)
                            .output());
        }

        Processes.Outcome inside = binlogTool(file, "--start-position=" + (boundary + 1));
        assertThat(inside.exitCode()).isNotZero();
        assertThat(inside.output()).contains(file).contains(String.valueOf(boundary + 1));
        Processes.Outcome missing = binlogTool("mysql-bin.999999", "--start-position=4");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.output()).contains("mysql-bin.999999");
        assertThat(kingbus.get("/health/live").statusCode()).isEqualTo(200);
    }

    private Processes.Outcome binlogTool(String file, String... options) {
        List<String> command = new ArrayList<>(List.of("mariadb-binlog", "--no-defaults", "--read-from-remote-server",
                "--host=127.0.0.1", "--port=" + kingbus.mysqlPort(), "--user=" + KingbusProcess.REPLICA_USER,
                "--password=" + KingbusProcess.REPLICA_PASSWORD));
        command.addAll(List.of(options));
        command.add(file);
        return Processes.runToEnd(null, command, 60);
    }

    @Test
    @Order(7)
    void aThousandMalformedPacketsLeaveTheNodeUpTheStoreUnchangedAndReplicasReplicating() throws IOException {
        String[] before = masterStatus();
        String logsBefore = cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD,
                "SHOW BINARY LOGS").output();
        long seed = Long.getLong("kingbus.fuzz.seed", 20261201L);
        ProtocolFuzzer.Report report = new ProtocolFuzzer(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, seed, 10_000, before[0]).run(1000);
        System.out.println("protocol fuzz, seed " + seed + ": " + report);
        assertThat(report.total()).isEqualTo(1000);
        assertThat(report.cases()).hasSize(ProtocolFuzzer.Kind.values().length);
        assertThat(report.errorPackets()).as("error packets").isGreaterThan(100);

        assertThat(kingbus.isAlive()).isTrue();
        assertThat(kingbus.get("/health/live").statusCode()).isEqualTo(200);
        assertThat(kingbus.get("/health/ready").statusCode()).isEqualTo(200);
        assertThat(cli(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD,
                "SHOW BINARY LOGS").output()).as("the store is unchanged").isEqualTo(logsBefore);

        master.execute("INSERT INTO compat.r VALUES (6000, 'after the fuzz')");
        String target = master.gtidBinlogPos();
        gtidReplica.awaitSlavePos(target, CATCH_UP);
        fileReplica.awaitSlavePos(target, CATCH_UP);
        assertThat(gtidReplica.checksums()).isEqualTo(master.checksums());
        assertThat(fileReplica.checksums()).isEqualTo(master.checksums());
        assertThat(kingbus.messages()).as("no stack trace from Kingbus's code in its log")
                .noneMatch(line -> line.startsWith("\tat kingbus."));
    }

    private static Processes.Outcome cli(int port, String user, String password, String sql) {
        return MariadbCli.run(port, user, password, sql);
    }
}
