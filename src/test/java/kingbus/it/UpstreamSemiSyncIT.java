package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 5, upstream semi-sync ({@code kingbus.master.semi-sync=true}) on a 3-node cluster: the
 * leader acknowledges a transaction to the master only once Raft committed it on a majority. With
 * one follower down a majority remains, so every commit on the master is acknowledged (its
 * {@code Rpl_semi_sync_master_yes_tx} grows, {@code no_tx} does not) and the leader already holds
 * it when the master's commit returns. With both followers down nothing can commit, so the master
 * waits out {@code rpl_semi_sync_master_timeout} and counts the transaction in {@code no_tx}, as it
 * does when its only semi-sync replica stops answering. A follower back, the cluster catches up and
 * the acknowledgements resume.
 */
class UpstreamSemiSyncIT {

    private static final long MASTER_TIMEOUT_MILLIS = 5000;

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final List<KingbusProcess> nodes = new ArrayList<>();

    @Test
    void theMasterIsAcknowledgedOnlyForTransactionsAMajorityHolds() throws Exception {
        try {
            scenario();
        } catch (Exception | AssertionError e) {
            KingbusProcess.printDiagnostics(nodes);
            throw e;
        }
    }

    private void scenario() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1, "--rpl-semi-sync-master-enabled=ON",
                "--rpl-semi-sync-master-timeout=" + MASTER_TIMEOUT_MILLIS));
        master.execute("CREATE DATABASE semi", "CREATE TABLE semi.t (id INT PRIMARY KEY)");
        nodes.addAll(KingbusProcess.cluster(master, 3, Map.of("KINGBUS_MASTER_SEMI_SYNC", "true")));
        nodes.forEach(cleanup::add);
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        List<KingbusProcess> followers = nodes.stream().filter(n -> n != leader).toList();
        Awaitility.await("the leader as the master's semi-sync replica").atMost(Duration.ofSeconds(60))
                .until(() -> master.globalStatus("Rpl_semi_sync_master_clients") == 1
                        && "ON".equals(master.globalStatusText("Rpl_semi_sync_master_status")));

        // One follower down: the leader and the other follower are a majority.
        followers.get(0).kill9();
        long yes = master.globalStatus("Rpl_semi_sync_master_yes_tx");
        long no = master.globalStatus("Rpl_semi_sync_master_no_tx");
        for (int id = 1; id <= 20; id++) {
            master.execute("INSERT INTO semi.t VALUES (" + id + ")");
            // The master's commit returned, so it got the ack: the leader must have committed it already.
            assertThat(leader.gtidBinlogPos()).as("the leader's committed position right after commit %d", id)
                    .isEqualTo(master.gtidBinlogPos());
        }
        assertThat(master.globalStatus("Rpl_semi_sync_master_yes_tx")).isGreaterThanOrEqualTo(yes + 20);
        assertThat(master.globalStatus("Rpl_semi_sync_master_no_tx")).as("commits that waited in vain").isEqualTo(no);

        // Both followers down: nothing commits, so nothing may be acknowledged.
        String committedBefore = leader.gtidBinlogPos();
        followers.get(1).kill9();
        long started = System.nanoTime();
        master.execute("INSERT INTO semi.t VALUES (100)");
        long waitedMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(waitedMillis).as("the master waited for an ack that never came")
                .isGreaterThanOrEqualTo(MASTER_TIMEOUT_MILLIS - 500);
        assertThat(master.globalStatus("Rpl_semi_sync_master_no_tx")).isEqualTo(no + 1);
        assertThat(leader.gtidBinlogPos()).as("the lone leader committed nothing new").isEqualTo(committedBefore);

        // A follower back: the cluster commits again, catches up, and the master gets its acks again.
        followers.get(0).start().awaitReady();
        KingbusProcess serving = KingbusProcess.leaderOf(List.of(leader, followers.get(0)));
        Awaitility.await("the cluster catching up and semi-sync on again").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    master.execute("INSERT INTO semi.t SELECT MAX(id) + 1 FROM semi.t");
                    return "ON".equals(master.globalStatusText("Rpl_semi_sync_master_status"))
                            && serving.gtidBinlogPos().equals(master.gtidBinlogPos());
                });
        long yesAgain = master.globalStatus("Rpl_semi_sync_master_yes_tx");
        long noAgain = master.globalStatus("Rpl_semi_sync_master_no_tx");
        for (int i = 0; i < 5; i++) {
            master.execute("INSERT INTO semi.t SELECT MAX(id) + 1 FROM semi.t");
            assertThat(serving.gtidBinlogPos()).isEqualTo(master.gtidBinlogPos());
        }
        assertThat(master.globalStatus("Rpl_semi_sync_master_yes_tx")).isGreaterThanOrEqualTo(yesAgain + 5);
        assertThat(master.globalStatus("Rpl_semi_sync_master_no_tx")).isEqualTo(noAgain);
    }
}
