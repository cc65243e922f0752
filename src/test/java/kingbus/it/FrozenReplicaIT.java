package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica that stops reading (SIGSTOP: its kernel keeps the connection open with its TCP window shut) must not
 * hold its dump session on Kingbus for good: once Kingbus's writes to it have been blocked for
 * {@code kingbus.mysql.net-write-timeout-seconds} the connection is closed with one warning, as a MariaDB master
 * does after {@code net_write_timeout}. Thawed, the replica connects again and catches up. Without the timeout the
 * session's write blocked until the replica read again, however long that took.
 */
class FrozenReplicaIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aReplicaThatTakesNothingIsDisconnectedAfterTheWriteTimeoutAndCatchesUpWhenItReadsAgain() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb replica = cleanup.add(MariaDb.start(2));
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of(
                "KINGBUS_MYSQL_NET_WRITE_TIMEOUT_SECONDS", "3"))).start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
        master.execute("CREATE DATABASE frozen", "USE frozen", "CREATE TABLE t (id BIGINT PRIMARY KEY, pad TEXT)",
                "INSERT INTO t VALUES (0, 'before')");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        assertThat(kingbus.metric("kingbus_replicas_connected")).isEqualTo(1);

        replica.freeze();
        try {
            // 40 MB: more than the frozen replica's socket buffers and Kingbus's together hold.
            for (int batch = 0; batch < 40; batch++) {
                master.execute("USE frozen", "INSERT INTO t SELECT " + (batch * 1000L + 1) + " + seq, REPEAT('x', 1000)"
                        + " FROM seq_0_to_999");
            }
            Awaitility.await("Kingbus closing the frozen replica's connection").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> kingbus.metric("kingbus_replicas_connected") == 0);
            assertThat(kingbus.messages()).as("Kingbus's log").anyMatch(line -> line.contains(
                    "took nothing of what was sent to it for 3 s (kingbus.mysql.net-write-timeout-seconds)"));
            assertThat(kingbus.isAlive()).isTrue();
        } finally {
            replica.thaw();
        }

        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(120));
        assertThat(replica.queryString("SELECT COUNT(*) FROM frozen.t")).isEqualTo("40001");
        assertThat(replica.checksums()).isEqualTo(master.checksums());
        assertThat(kingbus.metric("kingbus_replicas_connected")).as("the replica is back").isEqualTo(1);
    }
}
