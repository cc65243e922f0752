package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import kingbus.testing.BinlogTool;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The walking skeleton end to end: a real MariaDB master, one Kingbus node (the runnable Liberty
 * jar, as a child process), and a real MariaDB replica whose master is Kingbus. The tests run in
 * order on the same three processes, each adding writes and checking the replica against the master.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationThroughKingbusIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(90);

    private MariaDb master;
    private MariaDb replica;
    private KingbusProcess kingbus;

    @BeforeAll
    void start() {
        master = MariaDb.start(1);
        replica = MariaDb.start(2);
        kingbus = KingbusProcess.forMaster(master, Map.of()).start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
    }

    @AfterAll
    void stop() {
        for (AutoCloseable process : new AutoCloseable[] {replica, kingbus, master}) {
            try {
                if (process != null) {
                    process.close();
                }
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
    }

    /** DDL, single and multi-statement transactions, a 1 MB BLOB, and a rotated binlog file. */
    private void mixedWorkload(String tag) {
        master.execute(
                "CREATE DATABASE IF NOT EXISTS shop",
                "USE shop",
                "CREATE TABLE IF NOT EXISTS customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100),"
                        + " tag VARCHAR(20), UNIQUE KEY (name))",
                "CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer INT,"
                        + " amount DECIMAL(10,2), note TEXT)",
                "CREATE TABLE IF NOT EXISTS blobs (id INT PRIMARY KEY AUTO_INCREMENT, data LONGBLOB)",
                "INSERT INTO customers (name, tag) SELECT CONCAT('" + tag + "-', seq), '" + tag
                        + "' FROM seq_1_to_500",
                "BEGIN",
                "INSERT INTO orders (customer, amount, note) SELECT seq % 500 + 1, seq * 1.5, REPEAT('x', seq % 200)"
                        + " FROM seq_1_to_2000",
                "UPDATE customers SET name = CONCAT(name, '!') WHERE id % 7 = 0 AND tag = '" + tag + "'",
                "DELETE FROM orders WHERE id % 11 = 0",
                "COMMIT",
                "INSERT INTO blobs (data) VALUES (REPEAT(UNHEX('DEADBEEF'), 262144))",
                "ALTER TABLE orders ADD COLUMN IF NOT EXISTS flag TINYINT DEFAULT 0",
                "FLUSH BINARY LOGS",
                "UPDATE orders SET flag = 1 WHERE amount > 100");
    }

    private void assertReplicaEqualsMaster() {
        String target = master.gtidBinlogPos();
        replica.awaitSlavePos(target, CATCH_UP);
        assertThat(replica.gtidSlavePos()).isEqualTo(target);
        assertThat(replica.checksums()).isEqualTo(master.checksums()).isNotEmpty();
    }

    @Test
    @Order(1)
    void replicaReplicatesEverythingThroughKingbus() {
        mixedWorkload("a");
        assertReplicaEqualsMaster();
        Map<String, String> status = replica.slaveStatus();
        assertThat(status.get("Master_Port")).isEqualTo(String.valueOf(kingbus.mysqlPort()));
        assertThat(status.get("Using_Gtid")).isEqualTo("Slave_Pos");
    }

    @Test
    @Order(2)
    void moreWritesArriveWithoutReconnecting() {
        long dumpsBefore = dumpsStarted();
        for (int i = 0; i < 5; i++) {
            master.execute("INSERT INTO shop.customers (name, tag) VALUES ('live-" + i + "', 'live')");
            replica.awaitSlavePos(master.gtidBinlogPos(), CATCH_UP);
        }
        assertReplicaEqualsMaster();
        assertThat(dumpsStarted()).as("the replica kept its one binlog dump").isEqualTo(dumpsBefore).isPositive();
    }

    private long dumpsStarted() {
        return kingbus.metric("kingbus_replica_dumps_started");
    }

    @Test
    @Order(3)
    void rawDownloadsOfCompletedFilesAreByteIdentical() throws Exception {
        List<String> files = master.binaryLogs();
        assertThat(files).hasSizeGreaterThanOrEqualTo(2);
        List<String> completed = files.subList(0, files.size() - 1);
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), completed);
        String text = BinlogTool.decode(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, files.get(0));
        assertThat(text).contains("GTID 0-1-1").contains("CREATE DATABASE IF NOT EXISTS shop")
                .contains("Table_map: `shop`.`orders`").contains("End of log file");
    }

    @Test
    @Order(4)
    void binlogReaderWithStopNeverFollowsNewWrites() throws Exception {
        Path output = Files.createTempFile("kingbus-stop-never", ".sql");
        Process follower = BinlogTool.followDecoded(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, master.binaryLogs().get(0), output);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> BinlogTool.output(output).contains("CREATE DATABASE IF NOT EXISTS shop"));
            master.execute("INSERT INTO shop.customers (name, tag) VALUES ('followed-by-stop-never', 'f')");
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> BinlogTool.output(output).contains("followed-by-stop-never"));
            assertThat(follower.isAlive()).as("--stop-never keeps waiting for more").isTrue();
        } finally {
            Processes.stop(follower.toHandle(), 10);
            Files.deleteIfExists(output);
        }
    }

    @Test
    @Order(5)
    void kingbusKilledWithSigkillRecoversAndTheReplicaReconnects() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        CompletableFuture<Void> workload = CompletableFuture.runAsync(() -> {
            try (Connection c = master.connect();
                    PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO shop.customers (name, tag) VALUES (?, 'kill')")) {
                Random random = new Random(42);
                while (writing.get()) {
                    insert.setString(1, "kill-" + written.get() + "-" + random.nextInt(1000));
                    insert.executeUpdate();
                    written.incrementAndGet();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > 200);
        kingbus.kill9();
        int atKill = written.get();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > atKill + 200);
        kingbus.start().awaitReady();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > atKill + 400);
        writing.set(false);
        workload.get(30, TimeUnit.SECONDS);
        // Every row has a unique name: a transaction applied twice would stop the SQL thread.
        assertReplicaEqualsMaster();
        assertThat(replica.slaveStatus().get("Last_SQL_Errno")).isEqualTo("0");
        assertThat(replica.queryString("SELECT COUNT(*) FROM shop.customers WHERE tag = 'kill'"))
                .isEqualTo(String.valueOf(written.get()));
    }

    @Test
    @Order(6)
    void masterRestartIsFollowedWithoutLosingTheReplica() {
        long dumpsBefore = dumpsStarted();
        master.restart();
        master.execute("INSERT INTO shop.customers (name, tag) VALUES ('after-master-restart', 'm')");
        assertReplicaEqualsMaster();
        assertThat(dumpsStarted()).as("the replica's dump on Kingbus survived the master's restart")
                .isEqualTo(dumpsBefore);
        assertThat(master.binaryLogs()).as("the restart rotated the master's binlog").hasSizeGreaterThan(2);
    }

    @Test
    @Order(7)
    void stoppedReplicaResumesFromItsOwnPosition() {
        replica.execute("STOP SLAVE");
        String stoppedAt = replica.gtidSlavePos();
        mixedWorkload("b");
        assertThat(replica.gtidSlavePos()).isEqualTo(stoppedAt);
        replica.execute("START SLAVE");
        assertReplicaEqualsMaster();
    }

    @Test
    @Order(8)
    void wrongPasswordGetsAccessDenied() {
        try (Connection ignored = kingbusConnection(KingbusProcess.REPLICA_USER, "not-the-password")) {
            throw new AssertionError("a wrong password was accepted");
        } catch (SQLException e) {
            assertThat(e.getErrorCode()).isEqualTo(1045);
            assertThat(e.getMessage()).contains("Access denied for user 'repl'");
        }
    }

    private Connection kingbusConnection(String user, String password) throws SQLException {
        return MariaDb.connect(kingbus.mysqlPort(), user, password);
    }

    @Test
    @Order(9)
    void replicaAskingForAnUnknownDomainGets1236NamingIt() {
        try (MariaDb stranger = MariaDb.start(3)) {
            stranger.execute("SET GLOBAL gtid_slave_pos = '7-1-5'");
            stranger.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> "1236".equals(stranger.slaveStatus().get("Last_IO_Errno")));
            assertThat(stranger.slaveStatus().get("Last_IO_Error")).contains("7-1-5");
        }
    }

    @Test
    @Order(10)
    void replicaWithAWrongPasswordStopsWith1045() {
        try (MariaDb stranger = MariaDb.start(4)) {
            stranger.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, "wrong");
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> "1045".equals(stranger.slaveStatus().get("Last_IO_Errno")));
        }
    }

    @Test
    @Order(11)
    void masterRefusingKingbusLeavesItUpButNotReady() {
        try (KingbusProcess refused = KingbusProcess.forMaster(master,
                Map.of("KINGBUS_MASTER_PASSWORD", "not-the-repl-password")).start()) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> refused.get("/health/ready").statusCode() == 503
                    && refused.get("/health/ready").body().contains("refused"));
            assertThat(refused.get("/health/live").statusCode()).isEqualTo(200);
            String body = refused.get("/health/ready").body();
            assertThat(body).contains("refused Kingbus's credentials").doesNotContain("not-the-repl-password");
            assertThat(refused.messages()).anyMatch(l -> l.contains("refused Kingbus's credentials"));
        }
    }

    @Test
    @Order(12)
    void badSettingKeepsTheNodeUpAndNotReadyWithTheReason() {
        try (KingbusProcess bad = KingbusProcess.create(Map.of("KINGBUS_MYSQL_PORT", "70000")).start()) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> bad.get("/health/ready").statusCode() == 503);
            assertThat(bad.get("/health/ready").body()).contains("kingbus.mysql.port=70000 is out of range");
            assertThat(bad.get("/health/live").statusCode()).isEqualTo(200);
        }
    }

    @Test
    @Order(13)
    void adminApiNeedsCredentials() {
        assertThat(kingbus.get("/api/v1/cluster").statusCode()).isEqualTo(401);
        var authorized = kingbus.request(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + kingbus.httpPort() + "/api/v1/binlogs"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (KingbusProcess.ADMIN_USER + ":" + KingbusProcess.ADMIN_PASSWORD).getBytes())));
        assertThat(authorized.statusCode()).isEqualTo(200);
        List<String> files = new ArrayList<>(master.binaryLogs());
        for (String file : files) {
            assertThat(authorized.body()).contains("\"" + file + "\"");
        }
    }
}
