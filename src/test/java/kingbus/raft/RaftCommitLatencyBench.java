package kingbus.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import kingbus.store.AppendResult;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogStore;
import kingbus.testing.FixtureEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Raft part of P4's latency, without Liberty, a master or readers: three {@link RaftNode}s in this JVM, each with
 * its own store and fsync'd log; the leader proposes small entries one at a time ({@code kingbus.bench.proposals},
 * default 2000, {@code kingbus.bench.gap-millis} apart, default 5) and each is timed from the proposal until each
 * store holds it. Runs the members with Nagle's algorithm on (JGroups' default, the baseline) and off (Kingbus's
 * setting), alternating, {@code kingbus.bench.rounds} times each (default 2).
 *
 * <p>Not a test (no surefire pattern matches the name): {@code bench/raft-latency.sh} runs it and appends its row to
 * docs/BENCHMARKS.md.
 */
class RaftCommitLatencyBench {

    private static final String FILE = "mysql-bin.000001";

    @TempDir
    Path dir;

    @Test
    void commitToEveryStore() throws Exception {
        int proposals = Integer.getInteger("kingbus.bench.proposals", 2000);
        int gapMillis = Integer.getInteger("kingbus.bench.gap-millis", 5);
        int rounds = Integer.getInteger("kingbus.bench.rounds", 2);
        List<Run> nagle = new ArrayList<>();
        List<Run> noDelay = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            nagle.add(run(dir.resolve("nagle-" + round), true, proposals, gapMillis));
            noDelay.add(run(dir.resolve("nodelay-" + round), false, proposals, gapMillis));
        }
        double ratio = meanFollowerP99(nagle) / meanFollowerP99(noDelay);
        String row = String.format(Locale.ROOT, "| %s | %d cores, Java %s | %d entries of 400 bytes, %d ms apart, "
                        + "3 members in one JVM | Nagle on (JGroups' default): %s | tcp_nodelay (Kingbus): %s | "
                        + "followers' p99 %.1fx lower (mean over rounds) | `bench/raft-latency.sh` |",
                LocalDate.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                proposals, gapMillis, describe(nagle), describe(noDelay), ratio);
        System.out.println(row);
        String report = System.getProperty("kingbus.bench.report");
        if (report != null) {
            Files.writeString(Path.of(report), row + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /** One cluster's figures: the percentiles as text, and the followers' p99 in milliseconds. */
    private record Run(String text, double followerP99) {
    }

    private static double meanFollowerP99(List<Run> runs) {
        return runs.stream().mapToDouble(Run::followerP99).average().orElseThrow();
    }

    private static String describe(List<Run> runs) {
        return String.join("; ", runs.stream().map(Run::text).toList());
    }

    /** One cluster, {@code proposals} timed entries. */
    private static Run run(Path root, boolean nagle, int proposals, int gapMillis) throws Exception {
        List<BinlogStore> stores = new ArrayList<>();
        List<RaftNode> nodes = new ArrayList<>();
        try {
            RaftNode leader = RaftNodeTest.startThreeNodes(root, stores, nodes, nagle ? RaftNode::nagle : node -> { });
            byte[] first = FixtureEvents.concat(FixtureEvents.fileEvents("gtid-mode.txt"), 0, 3);
            long position = 4;
            assertThat(leader.propose(new EntryCodec.BinlogEntryBuilder().add(FILE, position, first, 0, first.length)
                    .build()).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            position += first.length;
            double[] atLeader = new double[proposals];
            double[] atFollowers = new double[proposals * 2];
            int followerSamples = 0;
            for (int i = 0; i < proposals; i++) {
                byte[] event = rowsEvent(position, 400);
                long end = position + event.length;
                byte[] entry = new EntryCodec.BinlogEntryBuilder().add(FILE, position, event, 0, event.length).build();
                long began = System.nanoTime();
                leader.propose(entry);
                boolean[] holds = new boolean[stores.size()];
                int waiting = stores.size();
                long deadline = began + TimeUnit.SECONDS.toNanos(10);
                while (waiting > 0) {
                    for (int k = 0; k < stores.size(); k++) {
                        if (!holds[k] && stores.get(k).lastFile().map(BinlogFile::endPosition).orElse(0L) >= end) {
                            holds[k] = true;
                            waiting--;
                            double millis = (System.nanoTime() - began) / 1e6;
                            if (nodes.get(k) == leader) {
                                atLeader[i] = millis;
                            } else {
                                atFollowers[followerSamples++] = millis;
                            }
                        }
                    }
                    assertThat(System.nanoTime()).as("entry %d reached every store in 10 s", i).isLessThan(deadline);
                    Thread.onSpinWait();
                }
                position = end;
                Thread.sleep(gapMillis);
            }
            double[] followers = Arrays.copyOf(atFollowers, followerSamples);
            Arrays.sort(followers);
            return new Run("leader " + percentiles(atLeader) + ", followers " + percentiles(followers),
                    followers[followers.length * 99 / 100]);
        } finally {
            nodes.forEach(RaftNode::close);
            stores.forEach(BinlogStore::close);
        }
    }

    private static String percentiles(double[] millis) {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "p50 %.1f / p90 %.1f / p99 %.1f ms", sorted[sorted.length / 2],
                sorted[sorted.length * 9 / 10], sorted[sorted.length * 99 / 100]);
    }

    /** A WRITE_ROWS event header with the right size and end position; the store checks nothing more. */
    private static byte[] rowsEvent(long position, int size) {
        byte[] event = new byte[size];
        ByteBuffer header = ByteBuffer.wrap(event).order(ByteOrder.LITTLE_ENDIAN);
        event[4] = 0x1E; // WRITE_ROWS_EVENT
        header.putInt(5, 1); // server_id
        header.putInt(9, size); // event_length
        header.putInt(13, (int) (position + size)); // log_pos
        return event;
    }
}
