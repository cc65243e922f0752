package kingbus.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import kingbus.protocol.binlog.LogEvent;
import kingbus.raft.EntryCodec;
import kingbus.store.Chunk;
import kingbus.testing.Cleanup;
import kingbus.testing.MariaDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Resuming where the committed binlog ends exactly at a file's last transaction, its ROTATE event not held (a new
 * leader whose predecessor did not get the ROTATE committed): in GTID mode a MariaDB master starts in the next file,
 * whose GTID_LIST is that position, and the ROTATE that ends the held file never comes. The syncer reads the rest of
 * that file by position instead, so the file stays byte-identical to the master's. A real master.
 */
class BinlogSyncerResumeIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aFileHeldUpToItsLastTransactionGetsItsRotateEventBeforeTheNextFile() throws Exception {
        MariaDb master = masterWithOneRow();
        String[] end = master.binlogEnd().split(":");
        String heldFile = end[0];
        long heldEnd = Long.parseLong(end[1]);
        String heldGtid = master.gtidBinlogPos();
        master.execute("FLUSH BINARY LOGS", "INSERT INTO resume.t VALUES (2)");
        List<String> files = master.binaryLogs();
        String nextFile = files.get(files.indexOf(heldFile) + 1);

        // The committed end as a store gives it after that last transaction: its ROTATE not held.
        List<Chunk> proposed = new CopyOnWriteArrayList<>();
        BinlogSyncer syncer = startSyncer(master, new BinlogSyncer.ResumePoint(heldFile, heldEnd, heldGtid, false),
                proposed);

        String last = master.gtidBinlogPos();
        await().atMost(Duration.ofSeconds(30)).until(() -> last.equals(syncer.lastReceivedGtid())
                && proposed.stream().anyMatch(chunk -> chunk.file().equals(nextFile)));
        Chunk first = proposed.get(0);
        assertThat(first.file()).as("the first chunk proposed").isEqualTo(heldFile);
        assertThat(first.startPosition()).isEqualTo(heldEnd);
        assertThat(LogEvent.type(first.events())).as("its event").isEqualTo(LogEvent.ROTATE_EVENT);
        assertThat(heldEnd + first.events().length).as("where the held file ends")
                .isEqualTo(master.binaryLogSizes().get(heldFile));
        assertThat(proposed.stream().filter(chunk -> chunk.file().equals(nextFile)).findFirst().orElseThrow()
                .startPosition()).as("the next file, from its start").isEqualTo(4);
    }

    private MariaDb masterWithOneRow() {
        MariaDb master = cleanup.add(MariaDb.start(1));
        master.execute("CREATE DATABASE resume", "CREATE TABLE resume.t (id INT PRIMARY KEY)",
                "INSERT INTO resume.t VALUES (1)");
        return master;
    }

    /** A syncer that always resumes at {@code committedEnd} and collects the chunks it proposes (all committed). */
    private BinlogSyncer startSyncer(MariaDb master, BinlogSyncer.ResumePoint committedEnd, List<Chunk> proposed) {
        return startSyncer(master, committedEnd, proposed, -1);
    }

    private BinlogSyncer startSyncer(MariaDb master, BinlogSyncer.ResumePoint committedEnd, List<Chunk> proposed,
            long ownServerId) {
        BinlogSyncer.Proposer proposer = entry -> {
            proposed.addAll(EntryCodec.chunks(entry, 0, entry.length));
            return CompletableFuture.completedFuture(true);
        };
        BinlogSyncer.Settings settings = new BinlogSyncer.Settings("127.0.0.1", master.port(), MariaDb.REPL_USER,
                MariaDb.REPL_PASSWORD, 9002, Duration.ofSeconds(1), 1 << 20, 4, Duration.ofMillis(100),
                Duration.ofSeconds(1), BinlogSyncer.MasterTls.DISABLED, false,
                BinlogSyncer.Settings.defaultNetTimeout(Duration.ofSeconds(1)), ownServerId);
        BinlogSyncer syncer = new BinlogSyncer(settings, () -> Optional.of(committedEnd), proposer, Thread::new);
        cleanup.add(syncer);
        syncer.start();
        return syncer;
    }

    /** A master that no longer has the held file cannot give its end: GTID mode goes on from the next file. */
    @Test
    void whenTheMasterNoLongerHasTheHeldFileTheSyncerGoesOnFromTheNextOne() throws Exception {
        MariaDb master = masterWithOneRow();
        String[] end = master.binlogEnd().split(":");
        String heldGtid = master.gtidBinlogPos();
        master.execute("FLUSH BINARY LOGS", "INSERT INTO resume.t VALUES (2)");
        List<String> files = master.binaryLogs();
        String nextFile = files.get(files.indexOf(end[0]) + 1);
        master.execute("PURGE BINARY LOGS TO '" + nextFile + "'");

        List<Chunk> proposed = new CopyOnWriteArrayList<>();
        BinlogSyncer syncer = startSyncer(master,
                new BinlogSyncer.ResumePoint(end[0], Long.parseLong(end[1]), heldGtid, false), proposed);

        String last = master.gtidBinlogPos();
        await().atMost(Duration.ofSeconds(30)).until(() -> last.equals(syncer.lastReceivedGtid())
                && proposed.stream().anyMatch(chunk -> chunk.file().equals(nextFile)));
        assertThat(proposed.get(0).file()).isEqualTo(nextFile);
        assertThat(proposed.get(0).startPosition()).isEqualTo(4);
    }

    /** A master whose server_id is the one Kingbus marks its own files with would pass for Kingbus: refused. */
    @Test
    void aMasterWithKingbusServerIdIsRefusedAndNothingOfItProposed() throws Exception {
        MariaDb master = masterWithOneRow();
        List<Chunk> proposed = new CopyOnWriteArrayList<>();
        BinlogSyncer syncer = startSyncer(master, new BinlogSyncer.ResumePoint(master.binaryLogs().get(0), 4, ""),
                proposed, master.serverId());
        await().atMost(Duration.ofSeconds(30)).until(() -> syncer.lastError() != null
                && syncer.lastError().contains("which is kingbus.server.id"));
        assertThat(proposed).isEmpty();
    }
}
