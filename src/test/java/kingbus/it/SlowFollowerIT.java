package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.InsertLoad;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.NetNamespaces;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three Kingbus nodes in network namespaces of their own; one follower's link becomes slow (a token bucket of
 * 1 Mbit/s towards it, `tc tbf`) under a load of about 2 MB/s. A majority is the leader and the other follower, so
 * the cluster must go on at the master's pace: the replica on the leader keeps within seconds of the master while
 * the slow follower falls behind. Once its link is fast again the slow follower catches up, and every node holds
 * the master's files byte for byte.
 */
class SlowFollowerIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final List<KingbusProcess> nodes = new ArrayList<>();
    private final List<MariaDb> replicas = new ArrayList<>();

    @Test
    void aFollowerOnASlowLinkDoesNotHoldTheOthersBack() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, this::slowFollower);
    }

    private void slowFollower() throws Exception {
        NetNamespaces net = cleanup.add(NetNamespaces.create(3)); // closed last: after the nodes in it have stopped
        MariaDb master = cleanup.add(MariaDb.start(1, "--bind-address=0.0.0.0")); // the nodes reach it on the bridge
        MariaDb onLeader = cleanup.add(MariaDb.start(2));
        replicas.add(onLeader);
        master.execute("CREATE DATABASE app", "CREATE TABLE app.blobs (id BIGINT PRIMARY KEY, payload MEDIUMTEXT)");
        nodes.addAll(KingbusProcess.clusterInNamespaces(master, net));
        nodes.forEach(cleanup::add);
        KingbusProcess.startAll(nodes);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        List<KingbusProcess> followers = nodes.stream().filter(n -> n != leader).toList();
        KingbusProcess slow = followers.get(0);
        KingbusProcess fast = followers.get(1);
        onLeader.replicateFrom(leader);

        // Rows of 20 KB, about 100 a second: a steady load, not a flood.
        InsertLoad load = cleanup.add(InsertLoad.start(master, "app.blobs", "x".repeat(20_000), 10));
        load.awaitMore(100, Duration.ofSeconds(60));
        onLeader.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));

        net.limit(nodes.indexOf(slow) + 1, "1mbit");
        long limitedAt = System.nanoTime();
        long writtenAtLimit = load.written();
        double worstLag = 0;
        for (int check = 0; check < 8; check++) {
            Thread.sleep(2500); // the load goes on; sample the lag every 2.5 s
            String masterPos = master.gtidBinlogPos();
            long begin = System.nanoTime();
            onLeader.awaitSlavePos(masterPos, Duration.ofSeconds(15));
            worstLag = Math.max(worstLag, (System.nanoTime() - begin) / 1e9);
        }
        double limitedFor = (System.nanoTime() - limitedAt) / 1e9;
        long writtenWhileLimited = load.written() - writtenAtLimit;
        String slowEnd = slow.gtidBinlogPos();
        String leaderEnd = leader.gtidBinlogPos();
        System.out.printf("slow follower: %d rows of 20 KB written in %.1f s with one follower at 1 Mbit/s; the"
                + " replica on the leader reached the master's position within %.2f s at worst; slow follower at %s,"
                + " fast follower at %s, leader at %s%n", writtenWhileLimited, limitedFor, worstLag, slowEnd,
                fast.gtidBinlogPos(), leaderEnd);
        assertThat(writtenWhileLimited).as("the master kept writing").isGreaterThan(500);
        assertThat(worstLag).as("the replica on the leader kept up with the master").isLessThan(5.0);
        assertThat(slowEnd).as("the slow follower fell behind (the link was slow)").isNotEqualTo(leaderEnd);
        assertThat(leader.role()).isEqualTo("leader");

        net.unlimit(nodes.indexOf(slow) + 1);
        long written = load.stop();
        String end = master.gtidBinlogPos();
        onLeader.awaitSlavePos(end, Duration.ofSeconds(60));
        Awaitility.await("the slow follower catching up").atMost(Duration.ofSeconds(120))
                .until(() -> slow.gtidBinlogPos().equals(end));
        assertThat(onLeader.checksums()).isEqualTo(master.checksums());
        assertThat(onLeader.queryString("SELECT COUNT(*) FROM app.blobs")).isEqualTo(String.valueOf(written));
        master.execute("FLUSH BINARY LOGS", "INSERT INTO app.blobs VALUES (-1, 'after-flush')");
        BinlogTool.assertEveryNodeHoldsTheCompletedFiles(master, nodes);
    }
}
