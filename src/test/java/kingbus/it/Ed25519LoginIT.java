package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.MariadbCli;
import kingbus.testing.Processes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 5: ed25519 logins, checked as MariaDB checks an account {@code IDENTIFIED VIA ed25519}:
 * Kingbus asks for {@code client_ed25519} with a 32-byte nonce and verifies the signature, for
 * real clients: the {@code mariadb} CLI and {@code mariadb-binlog} (libmariadb's client plugin),
 * MariaDB's JDBC driver, and a MariaDB replica.
 *
 * <p>By default a client that asks for {@code client_ed25519} gets it and any other gets
 * mysql_native_password, as with a MariaDB account {@code IDENTIFIED VIA mysql_native_password ... OR
 * ed25519 ...}. With {@code kingbus.mysql.auth-plugin=ed25519} every client must use it. Debian
 * installs {@code client_ed25519.so} only in libmariadb's plugin directory, not in the server's, so a
 * replica needs {@code --plugin-dir} pointing at it, against Kingbus as against a MariaDB master with
 * an ed25519 account (its IO thread otherwise stops with 2059 "Authentication plugin 'client_ed25519'
 * cannot be loaded").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ed25519LoginIT {

    private final Cleanup cleanup = new Cleanup();
    private MariaDb master;

    @BeforeAll
    void startMaster() {
        master = cleanup.add(MariaDb.start(1));
        master.execute("CREATE DATABASE ed", "USE ed", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(50))",
                "INSERT INTO t SELECT seq, 'signed in' FROM seq_1_to_100", "FLUSH BINARY LOGS",
                "INSERT INTO t VALUES (0, 'after the rotation')");
    }

    @AfterAll
    void stop() {
        cleanup.close();
    }

    @Test
    void byDefaultAClientAskingForEd25519GetsItAndOthersGetNativePassword() throws Exception {
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of())).start().awaitReady();
        // The JDBC driver restricted to client_ed25519 refuses to be switched to any other plugin.
        Properties restricted = new Properties();
        restricted.setProperty("restrictedAuth", "client_ed25519");
        try (Connection c = MariaDb.connect(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, restricted);
                Statement s = c.createStatement(); ResultSet rows = s.executeQuery("SELECT @@log_bin")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("1");
        }
        Processes.Outcome cli = MariadbCli.run(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, "SELECT 1", "--default-auth=client_ed25519");
        assertThat(cli.exitCode()).as(cli.output()).isZero();
        Processes.Outcome plain = MariadbCli.run(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, "SELECT 1");
        assertThat(plain.exitCode()).as(plain.output()).isZero();
        List<String> logins = kingbus.messages().stream().filter(line -> line.contains("logged in as 'repl'")).toList();
        assertThat(logins).anyMatch(line -> line.contains("with ed25519"))
                .anyMatch(line -> line.contains("with mysql_native_password"));

        Processes.Outcome wrong = MariadbCli.run(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, "not-it", "SELECT 1",
                "--default-auth=client_ed25519");
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.output()).contains("ERROR 1045");
        assertThat(kingbus.messages()).anyMatch(line -> line.contains("Refused login of user 'repl'")
                && line.contains("(ed25519)"));
        kingbus.stop();
    }

    @Test
    void requiredEd25519ServesTheCliJdbcMariadbBinlogAndAReplica() throws Exception {
        Path plugins = Files.createTempDirectory("kingbus-client-plugins");
        cleanup.add(() -> Processes.deleteTree(plugins));
        Files.createSymbolicLink(plugins.resolve("client_ed25519.so"), clientEd25519());
        MariaDb replica = cleanup.add(MariaDb.start(2, "--plugin-dir=" + plugins));
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master,
                Map.of("KINGBUS_MYSQL_AUTH_PLUGIN", "ed25519"))).start().awaitReady();

        // The CLI asks for mysql_native_password and is switched, as by a master's ed25519 account.
        Processes.Outcome cli = MariadbCli.run(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, "SELECT @@log_bin");
        assertThat(cli.exitCode()).as(cli.output()).isZero();
        assertThat(cli.output()).isEqualTo("@@log_bin\n1\n");
        Processes.Outcome wrong = MariadbCli.run(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, "not-it",
                "SELECT 1");
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.output()).contains("ERROR 1045").contains("Access denied for user '"
                + KingbusProcess.REPLICA_USER + "'");
        assertThat(kingbus.messages()).noneMatch(line -> line.contains("logged in as") && !line.contains("with ed25519"));

        // MariaDB's JDBC driver, through its own client_ed25519.
        Awaitility.await("Kingbus holding the master's binlog").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> master.binlogEnd().equals(kingbus.binlogEnd()));

        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        assertThat(replica.checksums()).isEqualTo(master.checksums());

        List<String> files = master.binaryLogs();
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), files.subList(0, files.size() - 1));
        assertThat(kingbus.messages()).anyMatch(line -> line.contains("logins with ed25519"));
        kingbus.stop();
    }

    /** libmariadb's client_ed25519.so (package libmariadb3), wherever the multiarch directory is. */
    private static Path clientEd25519() throws IOException {
        try (var found = Files.find(Path.of("/usr/lib"), 4,
                (path, attributes) -> path.endsWith(Path.of("libmariadb3", "plugin", "client_ed25519.so")))) {
            return found.findFirst().orElseThrow(() -> new AssertionError(
                    "no libmariadb3/plugin/client_ed25519.so under /usr/lib (package libmariadb3)"));
        }
    }
}
