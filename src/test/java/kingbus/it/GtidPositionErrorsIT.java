package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 5: a real MariaDB replica connects with a GTID position, once to the master and once to
 * Kingbus, and must get the same outcome: the same rows when the position can be served, error
 * 1236 from both when it cannot (Kingbus's message names the GTID and its domain). The master's
 * binlog has two domains and a hole in domain 0 ({@code gtid_seq_no} jumps from 3 to 10), so each of
 * MariaDB's start-position checks ({@code check_slave_start_position}, {@code gtid_find_binlog_file},
 * the strict-mode hole check of {@code send_event_to_slave}) has a case. The expected behaviour is
 * always what the master itself does in the same run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GtidPositionErrorsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Cleanup cleanup = new Cleanup();
    private MariaDb master;
    private MariaDb replica;
    private KingbusProcess kingbus;

    @BeforeAll
    void start() {
        master = cleanup.add(MariaDb.start(1));
        replica = cleanup.add(MariaDb.start(2));
        master.execute("CREATE DATABASE g", "CREATE TABLE g.t (id INT PRIMARY KEY)", // 0-1-1, 0-1-2
                "INSERT INTO g.t VALUES (1)", // 0-1-3
                "FLUSH BINARY LOGS",
                "SET SESSION gtid_seq_no=10", "INSERT INTO g.t VALUES (2)", // 0-1-10: 4..9 never existed
                "INSERT INTO g.t VALUES (3)", // 0-1-11
                "SET SESSION gtid_domain_id=2", "INSERT INTO g.t VALUES (4)", // 2-1-1
                "FLUSH BINARY LOGS",
                "INSERT INTO g.t VALUES (5)"); // 2-1-2
        assertThat(master.gtidBinlogPos()).isEqualTo("0-1-11,2-1-2");
        // The replica has the schema already, so that any position can be applied from.
        replica.execute("SET SESSION sql_log_bin=0", "CREATE DATABASE g", "CREATE TABLE g.t (id INT PRIMARY KEY)");
        kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of())).start().awaitReady();
        Awaitility.await("Kingbus holding the master's binlog").atMost(TIMEOUT).ignoreExceptions()
                .until(() -> master.binlogEnd().equals(kingbus.binlogEnd()));
    }

    @AfterAll
    void stop() {
        cleanup.close();
    }

    @Test
    void aPositionInsideAHoleIsRefusedInStrictModeLikeTheMaster() {
        Outcome viaMaster = fromMaster("0-1-5", true);
        Outcome viaKingbus = fromKingbus("0-1-5", true);
        assertThat(viaMaster.errno()).as(viaMaster.toString()).isEqualTo("1236");
        assertThat(viaMaster.error()).contains("missing the GTID 0-1-5");
        assertThat(viaKingbus.errno()).as(viaKingbus.toString()).isEqualTo("1236");
        assertThat(viaKingbus.error()).contains("missing the GTID 0-1-5").contains("strict mode");
    }

    @Test
    void withoutStrictModeAPositionInsideAHoleStartsAfterItLikeTheMaster() {
        Outcome viaMaster = fromMaster("0-1-5", false);
        Outcome viaKingbus = fromKingbus("0-1-5", false);
        assertThat(viaMaster.errno()).as(viaMaster.toString()).isEqualTo("0");
        assertThat(viaMaster.rows()).isEqualTo("2,3,4,5");
        assertThat(viaKingbus).isEqualTo(viaMaster);
    }

    @Test
    void aMultiDomainPositionResumesEachDomainWhereItStoodLikeTheMaster() {
        Outcome viaMaster = fromMaster("0-1-10,2-1-1", true);
        Outcome viaKingbus = fromKingbus("0-1-10,2-1-1", true);
        assertThat(viaMaster.errno()).as(viaMaster.toString()).isEqualTo("0");
        assertThat(viaMaster.rows()).isEqualTo("3,5");
        assertThat(viaKingbus).isEqualTo(viaMaster);
    }

    @Test
    void aReplicaAheadOfTheBinlogInADomainIsRefusedLikeByTheMaster() {
        Outcome viaMaster = fromMaster("0-1-50,2-1-2", true);
        Outcome viaKingbus = fromKingbus("0-1-50,2-1-2", true);
        assertThat(viaMaster.errno()).as(viaMaster.toString()).isEqualTo("1236");
        assertThat(viaMaster.error()).containsIgnoringCase("requested to start from GTID 0-1-50");
        assertThat(viaKingbus.errno()).as(viaKingbus.toString()).isEqualTo("1236");
        assertThat(viaKingbus.error()).containsIgnoringCase("requested to start from GTID 0-1-50")
                .contains("domain 0");
    }

    @Test
    void aGtidOfAServerTheDomainNeverHadIsRefusedLikeByTheMaster() {
        Outcome viaMaster = fromMaster("0-7-2", true);
        Outcome viaKingbus = fromKingbus("0-7-2", true);
        assertThat(viaMaster.errno()).as(viaMaster.toString()).isEqualTo("1236");
        assertThat(viaMaster.error()).containsIgnoringCase("requested to start from GTID 0-7-2");
        assertThat(viaKingbus.errno()).as(viaKingbus.toString()).isEqualTo("1236");
        assertThat(viaKingbus.error()).containsIgnoringCase("requested to start from GTID 0-7-2")
                .contains("domain 0").contains("server 7");
    }

    private Outcome fromMaster(String position, boolean strict) {
        return connect(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, position, strict);
    }

    private Outcome fromKingbus(String position, boolean strict) {
        return connect(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD, position,
                strict);
    }

    /** What a replica got from one source: its IO error (errno "0" when none) and the rows it applied. */
    private record Outcome(String errno, String error, String rows) {}

    /**
     * Empties the replica's table (unlogged) and its own binlog (which holds the GTIDs applied in the
     * last case, and strict mode would refuse them again), sets its position and strict mode, and connects it to
     * {@code port}; returns once the IO thread stopped with an error or the replica reached the master.
     */
    private Outcome connect(int port, String user, String password, String position, boolean strict) {
        replica.execute("STOP SLAVE", "SET SESSION sql_log_bin=0", "DELETE FROM g.t", "RESET MASTER",
                "SET GLOBAL gtid_strict_mode=" + (strict ? "ON" : "OFF"),
                "SET GLOBAL gtid_slave_pos='" + position + "'",
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + port + ", MASTER_USER='" + user
                        + "', MASTER_PASSWORD='" + password + "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
                "START SLAVE");
        String target = master.gtidBinlogPos();
        Map<String, String> status = Awaitility.await("replica connected at " + position + " to port " + port)
                .atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(replica::slaveStatus, now ->
                        !"0".equals(now.get("Last_IO_Errno")) || !"0".equals(now.get("Last_SQL_Errno"))
                                || target.equals(replica.gtidSlavePos()));
        assertThat(status.get("Last_SQL_Errno")).as(status.get("Last_SQL_Error")).isEqualTo("0");
        replica.execute("STOP SLAVE");
        String rows = replica.queryString("SELECT IFNULL(GROUP_CONCAT(id ORDER BY id), '') FROM g.t");
        String errno = status.get("Last_IO_Errno");
        return new Outcome(errno, status.get("Last_IO_Error"), "0".equals(errno) ? rows : null);
    }
}
