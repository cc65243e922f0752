package kingbus.raft;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogUnavailableException;
import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.ObjectMessage;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.AppendEntriesResponse;
import org.jgroups.protocols.raft.LogEntries;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.protocols.raft.RaftHeader;
import org.jgroups.raft.util.CommitTable;
import org.jgroups.util.ByteArrayDataInputStream;

/**
 * JGroups-raft's {@code RAFT} with a catch-up path whose memory does not grow with how far a
 * follower is behind.
 *
 * <p>JGroups-raft 1.1.4 resends every missing entry, {@code [next_index .. last_appended]}, in one
 * {@code AppendEntries} message, and resends it again each {@code resend_interval} until it is
 * acknowledged: a follower restarted after a few hundred megabytes of binlog got messages of that
 * size, several at once, and ran out of heap (seen in the 20-kill chaos run). Here each resend
 * carries at most {@link #maxResendBytes} of entries (always at least one), and the next batch is
 * sent as soon as the follower acknowledges the previous one, so a follower catches up at the
 * speed it can write, with one bounded batch in flight, also while the leader is busy with new
 * proposals (in 1.1.4 resends otherwise wait for an idle {@code resend_interval}). While a batch
 * is in flight no other resend goes to that follower; one not acknowledged within
 * {@link #CATCH_UP_TIMEOUT_MILLIS} (a follower answers after appending the batch and one slice of
 * applying, below; a batch can still take a while on a slow disk) is sent again on the next resend or
 * answer.
 *
 * <p>Followers also learn of a commit at once. {@code RAFT} tells them the commit index only in the
 * next {@code AppendEntries} (or after an idle {@code resend_interval}), so a follower served a
 * transaction a whole inter-arrival gap later than the leader (P4 in docs/BENCHMARKS.md). After
 * each batch of requests in which no new entries went out to carry the commit index, the leader
 * sends each follower that holds entries it does not know are committed, and was not told this
 * index yet, the same commit-only message {@code RAFT} sends when idle.
 *
 * <p>The Raft log is the write-ahead log of the store. The store's appends are not fsynced one by one: every
 * {@link #storeSyncMillis(long)} ms (200 unless set; and before a snapshot truncates the log, and at stop) the
 * store is synced ({@link kingbus.store.BinlogStore#sync()}), and only then is the newest entry applied before
 * that sync recorded ({@link AppliedIndex}). A start replays from the entry after the recorded one when the store
 * still holds what it held then; entries the store kept past its last sync are found held and skipped, those it
 * lost are applied again. {@code RAFT} alone replays its whole log at every start.
 *
 * <p>A follower applies what it knows committed in slices of {@link #APPLY_SLICE_MILLIS} between requests, not all
 * before it answers. {@code RAFT}'s follower applies every entry the leader says is committed before answering the
 * AppendEntries that said so; a member still applying a backlog (restarted moments before) then held back any
 * majority it was part of for as long as that took: a new leader's barrier waited 7 s for it under load
 * (docs/BENCHMARKS.md, "P5 under sysbench"). Raft commits on what a majority's logs hold, not on what they applied,
 * so answering once the entries are appended is enough; the rest is applied when no request waits. The commit index
 * a follower reports (and {@link RaftNode#lastApplied()}) stays what it applied.
 *
 * <p>It keeps {@code RAFT}'s protocol id, so headers and the other Raft protocols
 * ({@code ELECTION}, {@code REDIRECT}, {@link LeaderCommitTracker}) see no difference; every
 * member must run it (a stack mixing it with plain {@code RAFT} would disagree on header ids).
 *
 * <p>Thread-safety: {@code resend} and {@code handleUpRequest} run on {@code RAFT}'s single
 * request-processing thread, as do all of {@code RAFT}'s own log accesses; the in-flight table is
 * only touched there.
 */
public class BoundedResendRaft extends RAFT {

    /** Default bound on the entry bytes in one catch-up message. */
    public static final int DEFAULT_MAX_RESEND_BYTES = 4 << 20;

    /** How long a catch-up batch may stay unacknowledged before it is sent again. */
    public static final long CATCH_UP_TIMEOUT_MILLIS = 5_000;

    /** How long a follower applies committed entries at a time before it looks at its requests again. */
    static final long APPLY_SLICE_MILLIS = 20;
    /** Entries applied between two looks at the clock within a slice. */
    private static final int APPLY_STEP = 16;

    private int maxResendBytes = DEFAULT_MAX_RESEND_BYTES;
    /** RAFT's thread only, on a follower: the highest commit index the leader announced (maybe not applied yet). */
    private long commitTarget;
    /** RAFT's thread only: false once a slice applied nothing (an apply failed); the rest then waits for a request. */
    private boolean sliceApplied = true;
    private volatile long largestResendBytes;
    private volatile LeaderCommitTracker commitGuard;
    private volatile FollowerSendQueues sendQueues;
    private final Map<Address, InFlight> inFlight = new HashMap<>();
    /** When a snapshot last went to a follower: installing one streams files and can take minutes. */
    private final Map<Address, Long> snapshotSentNanos = new HashMap<>();
    /** How often a follower behind the log's start is sent the snapshot again while it fetches. */
    static final long SNAPSHOT_RESEND_MILLIS = 15_000;

    /** Leader only: per follower, the highest commit index sent to it (in an AppendEntries or a commit-only message). */
    private final Map<Address, Long> commitAnnounced = new HashMap<>();

    /** The catch-up batch a follower has not answered yet: its range, when and in which term it went. */
    private record InFlight(long firstIndex, long lastIndex, long sentNanos, long term) {
    }

    private static final Logger LOG = Logger.getLogger(BoundedResendRaft.class.getName());

    /** How often the store is synced, and the newest entry applied before the sync recorded, unless set. */
    public static final long DEFAULT_STORE_SYNC_MILLIS = 200;

    /** How often the store is synced ({@code kingbus.store.sync-millis}). */
    private long storeSyncMillis = DEFAULT_STORE_SYNC_MILLIS;

    /** Where the newest applied entry is recorded, or null to replay the whole log at start as {@code RAFT} does. */
    private AppliedIndex appliedIndex;
    /** The newest entry applied while every apply since the start went cleanly, with the store's end after it. */
    private volatile AppliedIndex.Mark appliedNotSynced;
    /** The index last written to {@link #appliedIndex}; guarded by {@code this}. */
    private long recordedIndex;
    private Future<?> storeSyncs;
    private boolean storeSyncFailing;
    /** Entries replayed into the state machine at start, and entries skipped because the store held them. */
    private volatile long replayedAtStart;
    private volatile long skippedAtStart;

    public BoundedResendRaft() {
        setId(ClassConfigurator.getProtocolId(RAFT.class));
    }

    /** The bound on entry bytes in one resend (a single larger entry is still sent alone). */
    public int maxResendBytes() {
        return maxResendBytes;
    }

    /** The per-follower send queues below this protocol, asked before a resend (see {@link FollowerSendQueues}). */
    BoundedResendRaft sendQueues(FollowerSendQueues queues) {
        this.sendQueues = queues;
        return this;
    }

    /** Checks each AppendEntries request against this log right before it is handled (see {@link LeaderCommitTracker#guard}). */
    void commitGuard(LeaderCommitTracker tracker) {
        this.commitGuard = tracker;
    }

    /** The most entry bytes this node has put in one resend since it started (for tests and diagnostics). */
    public long largestResendBytes() {
        return largestResendBytes;
    }

    /**
     * Records the newest applied entry in {@code file}, and replays only what follows it at start; call before the
     * channel connects.
     */
    BoundedResendRaft appliedIndex(Path file) {
        this.appliedIndex = new AppliedIndex(file);
        return this;
    }

    /** Entries replayed into the store at start (the last start of this protocol instance). */
    public long replayedAtStart() {
        return replayedAtStart;
    }

    /** Entries of the log not replayed at start because the store already held them. */
    public long skippedAtStart() {
        return skippedAtStart;
    }

    /** How often the store is synced, in milliseconds. */
    public long storeSyncMillis() {
        return storeSyncMillis;
    }

    /**
     * Sets how often the store is synced: the longest a crash can make a node replay from its Raft log, against
     * fsyncs on the store's files. Call before the channel connects.
     */
    public BoundedResendRaft storeSyncMillis(long millis) {
        if (millis < 1) {
            throw new IllegalArgumentException("storeSyncMillis must be positive: " + millis);
        }
        this.storeSyncMillis = millis;
        return this;
    }

    /** Sets the bound on entry bytes in one resend; call before the channel connects. */
    public BoundedResendRaft maxResendBytes(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxResendBytes must be positive: " + bytes);
        }
        this.maxResendBytes = bytes;
        return this;
    }

    /** On the leader as {@code RAFT} does; on a follower, notes the target and applies one slice towards it. */
    @Override
    protected RAFT commitLogTo(long indexInclusive, boolean serializeResponse) {
        if (isLeader()) {
            return super.commitLogTo(indexInclusive, serializeResponse);
        }
        commitTarget = Math.max(commitTarget, indexInclusive);
        applySlice(serializeResponse);
        return this;
    }

    /** Applies committed entries for up to {@link #APPLY_SLICE_MILLIS} (at least one step). */
    private void applySlice(boolean serializeResponse) {
        long target = Math.min(commitTarget, last_appended);
        long before = commit_index;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(APPLY_SLICE_MILLIS);
        while (commit_index < target) {
            long from = commit_index;
            super.commitLogTo(Math.min(target, from + APPLY_STEP), serializeResponse);
            if (commit_index == from || System.nanoTime() >= deadline) {
                break;
            }
        }
        sliceApplied = commit_index > before || commit_index >= target;
    }

    /** A follower with committed entries left to apply applies a slice when no request waits; else as RAFT. */
    @Override
    protected void processQueue() {
        if (!isLeader() && sliceApplied && commit_index < Math.min(commitTarget, last_appended)
                && processing_queue.isEmpty()) {
            applySlice(false);
            return;
        }
        super.processQueue();
    }

    /**
     * Handles a batch of requests as {@code RAFT} does; then, on the leader, tells each follower a
     * commit index that moved, unless new entries (which carry it) went out.
     */
    @Override
    protected void process(List<Request> requests) {
        long appendedBefore = last_appended;
        try {
            super.process(requests);
        } finally {
            if (isLeader()) {
                announceCommit(last_appended > appendedBefore);
            } else {
                commitAnnounced.clear();
            }
        }
    }

    /**
     * Sends the commit index to each follower that holds entries it does not know are committed and
     * was not told this index yet. Followers answer at different times, so this is decided per follower.
     *
     * @param entriesWentOut true when the batch multicast new entries: RAFT built that AppendEntries after
     *     handling the batch's answers, so it carried this commit index to every follower
     */
    private void announceCommit(boolean entriesWentOut) {
        CommitTable table = commit_table;
        if (table == null) {
            return;
        }
        long committed = commit_index;
        long term = currentTerm();
        table.forEach((member, entry) -> {
            long announced = commitAnnounced.getOrDefault(member, 0L);
            if (committed <= announced) {
                return;
            }
            if (entriesWentOut) {
                commitAnnounced.put(member, committed);
            } else if (Math.min(committed, entry.matchIndex()) > entry.commitIndex()) {
                // RAFT's own commit-only message (sendAppendEntriesMessage): no entries, prev 0/0.
                down_prot.down(new ObjectMessage(member, null)
                        .putHeader(id, new AppendEntriesRequest(local_addr, term, 0, 0, term, committed)));
                commitAnnounced.put(member, committed);
            }
        });
    }

    /** Sends nothing to a follower whose catch-up batch is in flight and not overdue; otherwise as {@code RAFT}. */
    @Override
    protected void sendAppendEntriesMessage(Address member, CommitTable.Entry entry) {
        if (entry.nextIndex() < log().firstAppended()) {
            // RAFT would send (and take) a snapshot on every pass; the follower is busy fetching files.
            Long sent = snapshotSentNanos.get(member);
            if (sent != null && System.nanoTime() - sent < SNAPSHOT_RESEND_MILLIS * 1_000_000L) {
                return;
            }
            snapshotSentNanos.put(member, System.nanoTime());
            inFlight.remove(member);
            super.sendAppendEntriesMessage(member, entry);
            return;
        }
        FollowerSendQueues queues = sendQueues;
        if (queues != null && queues.queuedBytes(member) > 0) {
            return; // what went before still waits for this follower's link: more would only queue behind it
        }
        InFlight batch = inFlight.get(member);
        if (batch != null && !answered(batch, entry) && !overdue(batch)) {
            return;
        }
        inFlight.remove(member);
        super.sendAppendEntriesMessage(member, entry);
    }

    /**
     * True once the follower answered the batch: sending it moved nothing, so any change of the
     * follower's next index is its answer (all of it taken, part of it, or a refusal that moved the
     * next index back); refusals of broadcasts leave the next index where the batch starts. A batch
     * of an earlier term counts as answered.
     */
    private boolean answered(InFlight batch, CommitTable.Entry entry) {
        return batch.term() != currentTerm() || entry.matchIndex() >= batch.lastIndex()
                || entry.nextIndex() != batch.firstIndex();
    }

    private static boolean overdue(InFlight batch) {
        return System.nanoTime() - batch.sentNanos() > CATCH_UP_TIMEOUT_MILLIS * 1_000_000L;
    }

    /** Resends entries from {@code from} on, up to {@code to} or the byte bound, whichever comes first. */
    @Override
    protected void resend(Address target, long from, long to) {
        LogEntries entries = new LogEntries();
        long bytes = 0;
        long entryTerm = 0;
        long last = from - 1;
        for (long i = from; i <= to; i++) {
            LogEntry entry = log_impl.get(i);
            if (entry == null) {
                log.error("%s: resending of %d failed; entry not found", local_addr, i);
                break;
            }
            if (entries.size() > 0 && bytes + entry.length() > maxResendBytes) {
                break;
            }
            if (entryTerm <= 0) {
                entryTerm = entry.term();
            }
            entries.add(entry);
            bytes += entry.length();
            last = i;
        }
        if (entries.size() == 0) {
            return;
        }
        LogEntry previous = log_impl.get(from - 1);
        long previousTerm = previous != null ? previous.term() : 0;
        Message msg = new ObjectMessage(target, entries)
                .putHeader(id, new AppendEntriesRequest(local_addr, currentTerm(), from - 1, previousTerm,
                        entryTerm, commitIndex()));
        down_prot.down(msg);
        num_resends++;
        if (bytes > largestResendBytes) {
            largestResendBytes = bytes;
        }
        inFlight.put(target, new InFlight(from, last, System.nanoTime(), currentTerm()));
    }

    /**
     * Handles the request as {@code RAFT} does; on the leader, an answer from a follower that has
     * acknowledged its catch-up batch (or whose batch is overdue), or that refused an entry while no
     * batch was in flight, sends the next batch at once.
     */
    /**
     * At start RAFT reads this node's own snapshot: a store behind it (an install whose fetch failed
     * before a restart) must not fetch then, from a member that may be down; the leader sends a
     * snapshot again once this node has joined, since its log is older.
     *
     * <p>Then, as {@code RAFT.initStateMachineFromLog}, the log's committed entries go to the state machine, but only
     * from the entry after the newest one the store recorded as applied ({@link AppliedIndex}), when the store still
     * holds where it ended then; otherwise (no mark, a torn one, a store replaced or behind) from the log's start.
     * The entries skipped are not read: they were applied in order before the mark was written. Membership
     * changes ({@code RAFT}'s internal commands) in them are not executed again: Kingbus's members are configured,
     * it never adds or removes one through Raft.
     */
    @Override
    public void initStateMachineFromLog() throws Exception {
        dropTornTail();
        if (!(state_machine instanceof BinlogStateMachine machine) || state_machine_loaded) {
            super.initStateMachineFromLog();
            return;
        }
        machine.restoring(true);
        try {
            int snapshotOffset = 0;
            ByteBuffer snapshot = log_impl.getSnapshot();
            if (snapshot != null) {
                ByteArrayDataInputStream in = new ByteArrayDataInputStream(snapshot);
                internal_state.readFrom(in);
                state_machine.readContentFrom(in);
                snapshotOffset = 1;
            }
            long from = Math.max(1, log_impl.firstAppended() + snapshotOffset);
            long to = commit_index;
            long start = from;
            Optional<AppliedIndex.Mark> mark = appliedIndex == null ? Optional.empty() : appliedIndex.read();
            if (mark.isPresent() && (mark.get().file().isEmpty()
                    || machine.holds(mark.get().file(), mark.get().position()))) {
                start = Math.max(from, Math.min(mark.get().index(), to) + 1);
            }
            long replayed = 0;
            for (long i = start; i <= to; i++) {
                LogEntry entry = log_impl.get(i);
                if (entry == null) {
                    log.error("%s: log entry for index %d not found in log", local_addr, i);
                    break;
                }
                if (entry.command() != null) {
                    if (entry.internal()) {
                        executeInternalCommand(null, entry.command(), entry.offset(), entry.length());
                    } else {
                        state_machine.apply(entry.command(), entry.offset(), entry.length(), true);
                    }
                }
                replayed++;
            }
            state_machine_loaded = true;
            replayedAtStart = replayed;
            skippedAtStart = Math.max(0, Math.min(start, to + 1) - from);
            long firstReplayed = start;
            if (to >= from) {
                LOG.info(() -> "Raft log at start: entries " + from + " to " + to + " committed, " + skippedAtStart
                        + " of them already in the store" + (firstReplayed > to ? ""
                                : ", " + firstReplayed + " to " + to + " replayed into it"));
            }
            // The mark is not moved here but by the next entry applied, and not at all once an apply is refused:
            // replayed entries of files purged since are refused at every start and must not freeze it.
        } finally {
            machine.restoring(false);
        }
    }

    /**
     * A kill -9 while an entry is written can leave its header whole and its data cut short. JGroups-raft's file log
     * (1.1.4) then counts the entry as appended but cannot read it, and RAFT fails to commit it again and again: the
     * node never applies anything after it. Only the last entry can be so: reading the file at start stops at the
     * first header that is not whole, and a cut-short entry ends the file. It is past the commit index (an entry is
     * written in full before it is acknowledged, and so before anything commits it), so it is removed here, before
     * anything is applied; the leader sends it again.
     */
    private void dropTornTail() {
        long last = last_appended;
        if (last > commit_index && log_impl.get(last) == null) {
            LOG.warning(() -> "Raft log: its last entry, " + last + ", cannot be read (cut short by a crash while it"
                    + " was written); removing it, the leader sends it again");
            deleteAllLogEntriesStartingFrom(last);
        }
    }

    @Override
    public void start() throws Exception {
        super.start();
        if (state_machine instanceof BinlogStateMachine) {
            storeSyncs = getTransport().getTimer().scheduleWithFixedDelay(this::syncStore, storeSyncMillis,
                    storeSyncMillis, TimeUnit.MILLISECONDS, true);
        }
    }

    /** Applies entry {@code index} as {@code RAFT} does; the next store sync records it as applied. */
    @Override
    protected void applyCommit(long index, boolean flag) throws Exception {
        super.applyCommit(index, flag);
        if (state_machine instanceof BinlogStateMachine machine && machine.appliedCleanly()) {
            // Not once an apply failed or was refused since this node started (RAFT goes on after one): the
            // mark then stays where every entry up to it was applied.
            BinlogFile last = machine.storeEnd().orElse(null);
            appliedNotSynced = new AppliedIndex.Mark(index, last == null ? "" : last.name(),
                    last == null ? 0 : last.endPosition());
        }
    }

    /**
     * Syncs the store, then records the newest entry applied before the sync began (its appends are durable now).
     * On the timer's thread, and once more at stop.
     */
    synchronized void syncStore() {
        if (!(state_machine instanceof BinlogStateMachine machine)) {
            return;
        }
        AppliedIndex.Mark mark = appliedNotSynced; // read before the sync: the store held this when the sync began
        try {
            machine.syncStore();
        } catch (BinlogUnavailableException e) {
            return; // closed: its close synced it
        } catch (RuntimeException e) {
            if (!storeSyncFailing) {
                storeSyncFailing = true;
                LOG.warning("Cannot sync the binlog store (" + e + "); trying again every " + storeSyncMillis
                        + " ms. A crash meanwhile costs a longer replay of the Raft log, nothing committed");
            }
            return;
        }
        if (storeSyncFailing) {
            storeSyncFailing = false;
            LOG.info("The binlog store syncs again");
        }
        AppliedIndex applied = appliedIndex;
        if (applied == null || mark == null || mark.index() <= recordedIndex) {
            return;
        }
        try {
            applied.record(mark);
            recordedIndex = mark.index();
        } catch (IOException e) {
            appliedIndex = null; // the next start replays the whole log: slower, never wrong
            closeQuietly(applied);
            LOG.warning("Cannot record the applied Raft index (" + e + "): the next start replays the whole Raft log");
        }
    }

    @Override
    public void stop() {
        Future<?> syncs = storeSyncs;
        if (syncs != null) {
            syncs.cancel(false);
        }
        super.stop();
        syncStore();
        synchronized (this) {
            AppliedIndex applied = appliedIndex;
            if (applied != null) {
                closeQuietly(applied);
            }
        }
    }

    private static void closeQuietly(AppliedIndex applied) {
        try {
            applied.close();
        } catch (IOException e) {
            // nothing was buffered: each record is written through
        }
    }

    @Override
    public void handleUpRequest(Message msg, RaftHeader hdr) {
        LeaderCommitTracker guard = commitGuard;
        if (guard != null && hdr instanceof AppendEntriesRequest request) {
            hdr = guard.guard(msg, request);
        }
        super.handleUpRequest(msg, hdr);
        if (!(hdr instanceof AppendEntriesResponse) || msg.src() == null) {
            return;
        }
        Address follower = msg.src();
        CommitTable table = commit_table;
        if (table == null || !isLeader()) {
            inFlight.clear();
            return;
        }
        CommitTable.Entry entry = table.get(follower);
        if (entry == null) {
            inFlight.remove(follower);
            return;
        }
        InFlight batch = inFlight.get(follower);
        if (batch == null) {
            // A follower that refused an entry (it lacks the one before, or has another term there)
            // is probed at once; otherwise that waits for an idle resend_interval, never under load.
            if (entry.sendSingleMessage() && entry.nextIndex() <= lastAppended()) {
                sendAppendEntriesMessage(follower, entry);
            }
            return;
        }
        if (!answered(batch, entry) && !overdue(batch)) {
            return;
        }
        inFlight.remove(follower);
        if (entry.nextIndex() <= lastAppended()) {
            sendAppendEntriesMessage(follower, entry);
        }
    }
}
