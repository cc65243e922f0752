package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.SilencingProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The link to the master goes silent, as a cut network or a master host that died leaves it: no FIN, no RST,
 * just nothing more. The master's heartbeats stop with everything else, so after
 * {@code kingbus.master.net-timeout-seconds} the leader must drop that connection and connect again (a MariaDB
 * replica does the same after {@code slave_net_timeout}). Without the timeout the syncer waited on the dead
 * connection for good and the replica never saw another write.
 */
class SilentMasterLinkIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aLinkThatGoesSilentIsDroppedAfterTheNetTimeoutAndReplicationGoesOn() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb replica = cleanup.add(MariaDb.start(2));
        SilencingProxy link = cleanup.add(new SilencingProxy(master.port()));
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of(
                "KINGBUS_MASTER_PORT", String.valueOf(link.port()),
                "KINGBUS_MASTER_HEARTBEAT_SECONDS", "1",
                "KINGBUS_MASTER_NET_TIMEOUT_SECONDS", "4"))).start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);

        master.execute("CREATE DATABASE link", "USE link", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, 'before' FROM seq_1_to_100");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        int connectionsBefore = link.connectionsAccepted();

        link.silenceOpenConnections();
        long silencedAt = System.nanoTime();
        master.execute("USE link", "INSERT INTO t SELECT seq, 'during' FROM seq_101_to_200",
                "FLUSH BINARY LOGS", "INSERT INTO t VALUES (0, 'after the flush')");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        double caughtUpAfter = (System.nanoTime() - silencedAt) / 1e9;
        System.out.printf("the replica had the writes made after the link went silent %.1f s later%n",
                caughtUpAfter);

        assertThat(caughtUpAfter).as("not before the net timeout gave up on the silent link").isGreaterThan(2.5);
        assertThat(link.connectionsAccepted()).as("Kingbus connected again").isGreaterThan(connectionsBefore);
        assertThat(kingbus.messages()).as("Kingbus's log").anyMatch(line -> line.contains(
                "sent nothing for 4 s, not even a heartbeat (kingbus.master.net-timeout-seconds)"));
        assertThat(replica.queryString("SELECT COUNT(*) FROM link.t")).isEqualTo("201");
        assertThat(replica.checksums()).isEqualTo(master.checksums());
        List<String> files = master.binaryLogs();
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), files.subList(0, files.size() - 1));
    }
}
