package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;
import kingbus.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TLS on both sides of Kingbus (issue 5). A test CA signs a certificate for 127.0.0.1. The master
 * requires TLS of the replication user ({@code REQUIRE SSL}) and Kingbus reaches it with
 * {@code kingbus.master.ssl-mode=VERIFY_IDENTITY}; Kingbus offers TLS from a PKCS12 keystore and
 * requires it ({@code kingbus.mysql.require-tls}); a MariaDB replica connects with
 * {@code MASTER_SSL=1} and {@code MASTER_SSL_VERIFY_SERVER_CERT=1}; a plain-text client is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsIT {

    private TestCertificates certificates;
    private MariaDb master;
    private MariaDb replica;
    private KingbusProcess kingbus;

    private final Cleanup cleanup = new Cleanup();

    @BeforeAll
    void start() {
        certificates = TestCertificates.create();
        cleanup.add(() -> Processes.deleteTree(certificates.dir()));
        master = cleanup.add(MariaDb.start(1, "--ssl-ca=" + certificates.caPem(),
                "--ssl-cert=" + certificates.serverPem(), "--ssl-key=" + certificates.serverKeyPem()));
        master.execute("SET SESSION sql_log_bin=0", "ALTER USER '" + MariaDb.REPL_USER + "'@'%' REQUIRE SSL");
        replica = cleanup.add(MariaDb.start(2));
        kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of(
                "KINGBUS_TLS_KEYSTORE", certificates.serverP12().toString(),
                "KINGBUS_TLS_KEYSTORE_PASSWORD", certificates.password(),
                "KINGBUS_MYSQL_REQUIRE_TLS", "true",
                "KINGBUS_MASTER_SSL_MODE", "VERIFY_IDENTITY",
                "KINGBUS_MASTER_SSL_CA", certificates.caPem().toString()))).start().awaitReady();
    }

    @AfterAll
    void stop() {
        cleanup.close();
    }

    @Test
    void aVerifyingTlsReplicaReplicatesAndAPlainTextClientIsRefused() {
        // The master refuses repl without TLS, so a ready Kingbus that pulls proves the upstream TLS.
        Processes.Outcome plainToMaster = client(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD,
                List.of("--skip-ssl"), "SELECT 1");
        assertThat(plainToMaster.exitCode()).as(plainToMaster.output()).isNotZero();
        assertThat(plainToMaster.output()).contains("ERROR 1045");

        replica.execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + kingbus.mysqlPort()
                        + ", MASTER_USER='" + KingbusProcess.REPLICA_USER + "', MASTER_PASSWORD='"
                        + KingbusProcess.REPLICA_PASSWORD + "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1,"
                        + " MASTER_SSL=1, MASTER_SSL_CA='" + certificates.caPem() + "', MASTER_SSL_VERIFY_SERVER_CERT=1",
                "START SLAVE");
        master.execute("CREATE DATABASE secure", "USE secure", "CREATE TABLE secure.t (id INT PRIMARY KEY, v VARCHAR(50))",
                "INSERT INTO secure.t SELECT seq, CONCAT('over tls ', seq) FROM seq_1_to_1000");
        try {
            replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(90));
        } catch (RuntimeException | AssertionError e) {
            System.err.println("replica: " + replica.slaveStatus() + "\nkingbus:\n" + kingbus.logTail());
            throw e;
        }
        assertThat(replica.checksums()).isEqualTo(master.checksums());
        Map<String, String> status = replica.slaveStatus();
        assertThat(status.get("Master_SSL_Allowed")).isEqualTo("Yes");
        assertThat(status.get("Master_SSL_Verify_Server_Cert")).isEqualTo("Yes");

        Processes.Outcome verified = client(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, List.of("--ssl", "--ssl-ca=" + certificates.caPem(),
                        "--ssl-verify-server-cert"), "SHOW MASTER STATUS");
        assertThat(verified.exitCode()).as(verified.output()).isZero();
        assertThat(verified.output()).contains("File\tPosition");

        Processes.Outcome plain = client(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, List.of("--skip-ssl"), "SELECT 1");
        assertThat(plain.exitCode()).isNotZero();
        assertThat(plain.output()).contains("3159").contains("kingbus.mysql.require-tls");
        assertThat(kingbus.messages()).anyMatch(line -> line.contains("not over TLS"));
        assertThat(kingbus.get("/health/ready").statusCode()).isEqualTo(200);
    }

    private static Processes.Outcome client(int port, String user, String password, List<String> tlsOptions,
            String sql) {
        List<String> command = new java.util.ArrayList<>(List.of("mariadb", "--no-defaults", "--protocol=TCP",
                "--host=127.0.0.1", "--port=" + port, "--user=" + user, "--password=" + password, "--batch"));
        command.addAll(tlsOptions);
        command.addAll(List.of("-e", sql));
        return Processes.runToEnd(null, command, 60);
    }
}
