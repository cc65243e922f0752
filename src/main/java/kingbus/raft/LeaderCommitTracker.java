package kingbus.raft;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jgroups.Address;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.AppendEntriesResponse;
import org.jgroups.protocols.raft.AppendResult;
import org.jgroups.protocols.raft.InstallSnapshotRequest;
import org.jgroups.protocols.raft.LogEntries;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Bits;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

/**
 * A JGroups protocol placed just below {@code RAFT} that reads the leader's {@code AppendEntries}
 * messages on a follower, for two reasons.
 *
 * <p><b>How far behind.</b> JGroups-raft clamps a follower's own commit index to what its log
 * holds, so a follower that is catching up would look current; the leader's commit index in the
 * header tells the truth.
 *
 * <p><b>Commit only what matches the leader.</b> JGroups-raft 1.1.4 commits
 * {@code min(leader_commit, last_appended)} on a commit-only message without checking that the
 * follower's log matches the leader's up to there, so a node restarted with an uncommitted tail from
 * an old term commits that stale tail (seen in a chaos run: the store refused the chunks, and the
 * node stayed behind for good). Raft allows committing only entries verified against the current
 * leader: this protocol lowers {@code leader_commit} in each request to what is verified (the
 * follower's commit index, or the end of entries whose previous entry matched in this term).
 * Lowering it only delays a commit; the normal Raft conflict repair then replaces the stale tail.
 *
 * <p><b>Acknowledge only what matches the leader.</b> For the same reason, an answer that
 * acknowledges more than this node verified is lowered ({@link #allowedAck}), so the leader never
 * counts a stale tail towards a majority.
 *
 * <p>It keeps, in order, each new leader commit index with the time it was first seen; the oldest
 * one not yet applied here tells how long this node has been behind ({@link #behindNanos}).
 *
 * <p>Thread-safe: JGroups delivers messages on several threads; all state is guarded by {@code this}.
 * The log checks ({@link #guard}, and {@link #down} for answers) run on RAFT's processing thread.
 */
public final class LeaderCommitTracker extends Protocol {

    /** Bound on remembered announcements; when full, the newest entry absorbs newer indexes. */
    private static final int MAX_PENDING = 4096;

    private final short raftHeaderId = ClassConfigurator.getProtocolId(RAFT.class);
    private final Deque<long[]> pending = new ArrayDeque<>(); // {commitIndex, firstSeenNanos}
    private long term;
    private long leaderCommit;
    private volatile RAFT raft;
    private long verifiedTerm = -1;
    private long verifiedIndex;

    /** Gives the protocol the RAFT instance whose log it checks (before the channel connects). */
    void raft(RAFT protocol) {
        this.raft = protocol;
    }

    /** True while RAFT's thread cannot take requests (the store waits for disk space, a snapshot is fetched). */
    private volatile java.util.function.BooleanSupplier busy = () -> false;

    /**
     * While {@code busy}, requests from the leader are dropped here instead of queuing in RAFT (about
     * one entry's bytes each, for as long as the wait lasts); the leader sends them again when this
     * node answers.
     */
    void busyWhen(java.util.function.BooleanSupplier condition) {
        this.busy = condition;
    }

    private boolean dropWhileBusy(Message msg) {
        Header header = msg.getHeader(raftHeaderId);
        return (header instanceof AppendEntriesRequest || header instanceof InstallSnapshotRequest)
                && busy.getAsBoolean();
    }

    @Override
    public Object up(Message msg) {
        if (dropWhileBusy(msg)) {
            return null;
        }
        observe(msg);
        return up_prot.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        for (java.util.Iterator<Message> it = batch.iterator(); it.hasNext(); ) {
            Message msg = it.next();
            if (dropWhileBusy(msg)) {
                it.remove();
            } else {
                observe(msg);
            }
        }
        if (!batch.isEmpty()) {
            up_prot.up(batch);
        }
    }

    @Override
    public Object down(Message msg) {
        Header header = msg.getHeader(raftHeaderId);
        if (header instanceof AppendEntriesResponse response) {
            try {
                AppendEntriesResponse clamped = clamp(response, allowedAck());
                if (clamped != response) {
                    msg.putHeader(raftHeaderId, clamped);
                }
            } catch (IOException | RuntimeException e) {
                log.warn("%s: cannot read an AppendEntries response: %s", local_addr, e);
            }
        }
        return down_prot.down(msg);
    }

    /**
     * The highest index this follower may acknowledge: its commit index or the end of what it
     * verified against the current leader. JGroups-raft 1.1.4 answers a commit-only message (and a
     * request it did not need to write) with its last appended index, which on a node restarted with
     * an uncommitted tail from an old term acknowledges entries that are not the leader's; the leader
     * counts that acknowledgement towards a majority (its {@code RequestTable.add} covers every index
     * up to the acknowledged one). Acknowledging less only makes the leader resend.
     */
    synchronized long allowedAck() {
        RAFT protocol = raft;
        if (protocol == null) {
            return Long.MAX_VALUE;
        }
        long committed = protocol.commitIndex();
        return verifiedTerm == protocol.currentTerm() ? Math.max(committed, verifiedIndex) : committed;
    }

    /**
     * {@code response} with a successful index lowered to {@code allowed}, or {@code response}
     * itself when it is a failure or within bounds. Its fields are read from the wire form (they are
     * protected in JGroups-raft).
     */
    static AppendEntriesResponse clamp(AppendEntriesResponse response, long allowed) throws IOException {
        ByteArrayDataInputStream in = wireForm(response);
        long term = Bits.readLongCompressed(in);
        AppendResult result;
        try {
            result = Util.readStreamable(AppendResult::new, in);
        } catch (ClassNotFoundException e) {
            throw new IOException(e);
        }
        if (result == null || !result.success() || result.index() <= allowed) {
            return response;
        }
        return new AppendEntriesResponse(term, new AppendResult(AppendResult.Result.OK, allowed)
                .commitIndex(result.commitIndex()));
    }

    /** A header's wire form, to read back the fields JGroups-raft keeps protected. */
    private static ByteArrayDataInputStream wireForm(Header header) throws IOException {
        ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(64);
        header.writeTo(out);
        return new ByteArrayDataInputStream(out.buffer(), 0, out.position());
    }

    private void observe(Message msg) {
        Header header = msg.getHeader(raftHeaderId);
        if (header instanceof AppendEntriesRequest request) {
            try {
                Fields fields = Fields.of(request);
                announce(fields.term, fields.leaderCommit, System.nanoTime());
            } catch (IOException | RuntimeException e) {
                log.warn("%s: cannot read an AppendEntries header: %s", local_addr, e);
            }
        }
    }

    /**
     * The request RAFT should handle: {@code request} with {@code leader_commit} lowered to what
     * this follower may commit ({@link #safeCommit}). Called by {@link BoundedResendRaft} on RAFT's
     * request-processing thread right before RAFT handles the request, so the check sees exactly
     * the log RAFT is about to change (checked on arrival, a pipelined request would find its
     * predecessor not yet appended).
     */
    AppendEntriesRequest guard(Message msg, AppendEntriesRequest request) {
        try {
            Fields fields = Fields.of(request);
            RAFT protocol = raft;
            if (protocol != null && fields.term < protocol.currentTerm()) {
                return request; // RAFT drops a request of an older term
            }
            Object payload = msg.getLength() == 0 ? null : msg.getObject();
            long safe = safeCommit(fields, payload instanceof LogEntries list ? list : null);
            if (safe < fields.leaderCommit) {
                return new AppendEntriesRequest(fields.leader, fields.term, fields.prevIndex, fields.prevTerm,
                        fields.entryTerm, safe);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("%s: cannot read an AppendEntries header: %s", local_addr, e);
        }
        return request;
    }

    /** The fields of an {@code AppendEntries} header. */
    record Fields(long term, Address leader, long entryTerm, long prevIndex, long prevTerm, long leaderCommit) {

        /**
         * Reads them back from the header's wire form: JGroups-raft keeps these fields protected,
         * and its wire format is public and versioned.
         */
        static Fields of(AppendEntriesRequest request) throws IOException {
            ByteArrayDataInputStream in = wireForm(request);
            long term = Bits.readLongCompressed(in);
            Address leader;
            try {
                leader = Util.readAddress(in);
            } catch (ClassNotFoundException e) {
                throw new IOException(e);
            }
            return new Fields(term, leader, Bits.readLongCompressed(in), Bits.readLongCompressed(in),
                    Bits.readLongCompressed(in), Bits.readLongCompressed(in));
        }
    }

    /**
     * The highest index this follower may commit on this request: its commit index, or the end of
     * entries verified against the leader of this term (Raft's log matching: an entry whose index
     * and term match the leader's vouches for every entry before it).
     */
    synchronized long safeCommit(Fields request, LogEntries entries) {
        int entryCount = entries == null ? 0 : entries.size();
        RAFT protocol = raft;
        if (protocol == null) {
            return request.leaderCommit;
        }
        if (request.term != verifiedTerm) {
            verifiedTerm = request.term;
            verifiedIndex = 0;
        }
        long committed = protocol.commitIndex();
        long first = request.prevIndex + 1;
        if (entryCount > 0 && first > committed) {
            boolean previousMatches = request.prevIndex == 0 || termAt(protocol, request.prevIndex) == request.prevTerm;
            if (previousMatches) {
                long end = request.prevIndex + entryCount;
                if (termAt(protocol, first) == request.entryTerm) {
                    // JGroups-raft writes nothing over an existing entry of the same term: only the
                    // entries that already match the request's, index by index, are the leader's.
                    end = request.prevIndex;
                    for (LogEntry entry : entries) {
                        if (termAt(protocol, end + 1) != entry.term()) {
                            break;
                        }
                        end++;
                    }
                }
                // Otherwise a missing or conflicting entry is (re)written from this request.
                verifiedIndex = Math.max(verifiedIndex, end);
            }
        }
        return Math.min(request.leaderCommit, Math.max(committed, verifiedIndex));
    }

    private static long termAt(RAFT protocol, long index) {
        LogEntry entry = protocol.log().get(index);
        return entry == null ? -1 : entry.term();
    }

    /** Records that the leader of {@code term} has committed up to {@code commitIndex}. */
    synchronized void announce(long announcedTerm, long commitIndex, long nowNanos) {
        if (announcedTerm < term) {
            return;
        }
        if (announcedTerm > term) {
            term = announcedTerm;
        }
        if (commitIndex <= leaderCommit) {
            return;
        }
        leaderCommit = commitIndex;
        if (pending.size() >= MAX_PENDING) {
            pending.peekLast()[0] = commitIndex; // keep the newest index; the older first-seen time errs long
        } else {
            pending.addLast(new long[] {commitIndex, nowNanos});
        }
    }

    /** The highest commit index a leader has announced to this node (0 before the first). */
    public synchronized long leaderCommit() {
        return leaderCommit;
    }

    /**
     * How long this node has been behind: the age of the oldest announced commit index above
     * {@code appliedIndex}, or 0 when it has applied everything it was told of.
     */
    public synchronized long behindNanos(long appliedIndex, long nowNanos) {
        while (!pending.isEmpty() && pending.peekFirst()[0] <= appliedIndex) {
            pending.pollFirst();
        }
        if (pending.isEmpty()) {
            return 0;
        }
        return Math.max(0, nowNanos - pending.peekFirst()[1]);
    }
}
