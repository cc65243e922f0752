package kingbus.app;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.logging.Logger;
import kingbus.raft.EntryCodec;
import kingbus.raft.SnapshotFetcher;
import kingbus.store.AppendResult;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogStore;
import kingbus.syncer.BinlogSyncer;

/**
 * Catches a member up to a Raft snapshot by pulling the binlog it lacks from the member that wrote
 * the snapshot, over that member's MySQL port with the replica credentials: the same syncer that
 * pulls from the master (raw events, whole transactions, file/position then GTID mode), writing
 * straight into the local store instead of proposing. Kingbus serves only committed binlog, so what
 * is fetched is committed; appends are idempotent by position, so the Raft entries after the
 * snapshot that the fetch already covered are skipped, and one that straddles the fetched end is
 * trimmed to the part not held ({@code BinlogStore.append}). Nothing the puller still has in hand
 * reaches the store once {@link #fetch} has returned.
 *
 * <p>A store whose newest file is older than the snapshot's first file holds nothing the cluster
 * still keeps: it is discarded first and the kept files are fetched from the first one.
 *
 * <p>Thread-safe: one fetch at a time (Raft calls it on its own thread).
 */
final class SnapshotCatchUp implements SnapshotFetcher {

    private static final Logger LOG = Logger.getLogger(SnapshotCatchUp.class.getName());
    /** A fetch that makes no progress for this long fails; the leader sends the snapshot again later. */
    private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

    private final BinlogStore store;
    private final String user;
    private final String password;
    private final long serverId;
    private final int maxEntryBytes;
    private final ThreadFactory threads;
    private final BinlogSyncer.MasterTls tls;
    /** Guards {@link #accepting}: the puller's proposer thread may outlive {@code stop()} by a moment. */
    private final Object appendGate = new Object();
    private boolean accepting;

    /** @param tls true when the members' MySQL ports require TLS (the fetch then encrypts, trusting any certificate) */
    SnapshotCatchUp(BinlogStore store, String user, String password, long serverId, int maxEntryBytes,
            boolean tls, ThreadFactory threads) {
        this.tls = tls ? new BinlogSyncer.MasterTls("REQUIRED", null, null) : BinlogSyncer.MasterTls.DISABLED;
        this.store = store;
        this.user = user;
        this.password = password;
        this.serverId = serverId;
        this.maxEntryBytes = maxEntryBytes;
        this.threads = threads;
    }

    @Override
    public synchronized void fetch(Target target) throws Exception {
        int colon = target.source().lastIndexOf(':');
        String host = target.source().substring(0, colon);
        int port = Integer.parseInt(target.source().substring(colon + 1));
        Optional<BinlogFile> last = store.lastFile();
        if (last.isPresent() && !target.firstFile().isEmpty() && last.get().name().compareTo(target.firstFile()) < 0) {
            store.discardAll();
        }
        long begin = System.nanoTime();
        long bytesBefore = store.bytesAppended();
        BinlogSyncer puller = new BinlogSyncer(new BinlogSyncer.Settings(host, port, user, password, serverId,
                Duration.ofSeconds(1), maxEntryBytes, 4, Duration.ofMillis(200), Duration.ofSeconds(2), tls, false,
                BinlogSyncer.Settings.defaultNetTimeout(Duration.ofSeconds(1)), -1),
                () -> KingbusNode.heldEnd(store), this::appendLocally, threads);
        synchronized (appendGate) {
            accepting = true;
        }
        puller.start();
        try {
            long seenBytes = -1;
            long progressAt = System.nanoTime();
            while (!reached(target)) {
                long bytes = store.bytesAppended();
                if (bytes != seenBytes) {
                    seenBytes = bytes;
                    progressAt = System.nanoTime();
                } else if (System.nanoTime() - progressAt > STALL_TIMEOUT.toNanos()) {
                    throw new IllegalStateException("No progress fetching from " + target.source() + " for "
                            + STALL_TIMEOUT.toSeconds() + " s (last problem: " + puller.lastError() + ")");
                }
                store.awaitCommit(store.commitVersion(), 500);
            }
        } finally {
            puller.stop();
            synchronized (appendGate) {
                accepting = false; // nothing more reaches the store once the fetch has returned
            }
        }
        long fetched = store.bytesAppended() - bytesBefore;
        LOG.info(() -> "Caught up to the Raft snapshot (" + target.lastFile() + ":" + target.endPosition()
                + "): fetched " + fetched + " bytes of binlog from " + target.source() + " in "
                + Duration.ofNanos(System.nanoTime() - begin).toMillis() + " ms");
    }

    private boolean reached(Target target) {
        Optional<BinlogFile> held = store.file(target.lastFile());
        if (held.isPresent()) {
            return held.get().endPosition() >= target.endPosition();
        }
        return store.lastFile().map(f -> f.name().compareTo(target.lastFile()) > 0).orElse(false);
    }

    private CompletableFuture<Boolean> appendLocally(byte[] entry) {
        synchronized (appendGate) {
            if (!accepting) {
                return CompletableFuture.failedFuture(new IllegalStateException("the snapshot catch-up has ended"));
            }
            try {
                AppendResult result = store.append(EntryCodec.chunks(entry, 0, entry.length));
                return CompletableFuture.completedFuture(result != AppendResult.REJECTED);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }
}
