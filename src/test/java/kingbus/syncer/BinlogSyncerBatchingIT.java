package kingbus.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import kingbus.raft.EntryCodec;
import kingbus.store.Chunk;
import kingbus.testing.Cleanup;
import kingbus.testing.MariaDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 7: under load the syncer packs the transactions that queue while its window of proposals is full into
 * one Raft entry, instead of one entry each. A real master; a proposer whose first proposal stays uncommitted
 * (a window of one, so it is full) while the master commits 20 more transactions one by one.
 */
class BinlogSyncerBatchingIT {

    /** GTID_EVENT: MariaDB starts every transaction with one. */
    private static final int GTID_EVENT = 162;
    private static final int EVENT_TYPE_OFFSET = 4;
    private static final int EVENT_LEN_OFFSET = 9;

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void transactionsThatQueueWhileTheWindowIsFullShareOneEntry() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        master.execute("CREATE DATABASE batching", "CREATE TABLE batching.t (id INT PRIMARY KEY)");
        List<String> files = master.binaryLogs();
        String[] end = master.binlogEnd().split(":");
        BinlogSyncer.ResumePoint committedEnd =
                new BinlogSyncer.ResumePoint(end[0], Long.parseLong(end[1]), master.gtidBinlogPos());
        assertThat(end[0]).isEqualTo(files.get(files.size() - 1));

        CompletableFuture<Boolean> firstCommit = new CompletableFuture<>();
        List<byte[]> proposed = new CopyOnWriteArrayList<>();
        BinlogSyncer.Proposer proposer = entry -> {
            proposed.add(entry);
            return proposed.size() == 1 ? firstCommit : CompletableFuture.completedFuture(true);
        };
        BinlogSyncer.Settings settings = new BinlogSyncer.Settings("127.0.0.1", master.port(), MariaDb.REPL_USER,
                MariaDb.REPL_PASSWORD, 9001, Duration.ofSeconds(1), 1 << 20, 1,
                Duration.ofMillis(100), Duration.ofSeconds(1));
        BinlogSyncer syncer = new BinlogSyncer(settings, () -> Optional.of(committedEnd), proposer, Thread::new);
        cleanup.add(syncer);
        syncer.start();

        master.execute("INSERT INTO batching.t VALUES (0)");
        await().atMost(Duration.ofSeconds(30)).until(() -> proposed.size() == 1);
        for (int i = 1; i <= 20; i++) {
            master.execute("INSERT INTO batching.t VALUES (" + i + ")");
        }
        String last = master.gtidBinlogPos();
        await().atMost(Duration.ofSeconds(30)).until(() -> last.equals(syncer.lastReceivedGtid()));
        Thread.sleep(500); // the rest of the last transaction (its XID) follows its GTID event at once
        assertThat(proposed).as("proposals while the first is not committed").hasSize(1);

        firstCommit.complete(true);
        await().atMost(Duration.ofSeconds(30)).until(() -> syncer.transactionsProposed() == 21);
        assertThat(proposed).as("entries proposed").hasSize(2);
        assertThat(transactionsIn(proposed.get(0))).isEqualTo(1);
        assertThat(transactionsIn(proposed.get(1))).as("transactions in the second entry").isEqualTo(20);
    }

    private static int transactionsIn(byte[] entry) {
        int transactions = 0;
        for (Chunk chunk : EntryCodec.chunks(entry, 0, entry.length)) {
            ByteBuffer events = ByteBuffer.wrap(chunk.events()).order(ByteOrder.LITTLE_ENDIAN);
            for (int at = 0; at < events.limit(); at += events.getInt(at + EVENT_LEN_OFFSET)) {
                if ((events.get(at + EVENT_TYPE_OFFSET) & 0xff) == GTID_EVENT) {
                    transactions++;
                }
            }
        }
        return transactions;
    }
}
