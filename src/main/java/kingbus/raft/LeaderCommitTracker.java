package kingbus.raft;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Bits;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

/**
 * A JGroups protocol placed just below {@code RAFT} that watches the leader's {@code AppendEntries}
 * messages for the leader's commit index, so a follower knows how far behind the cluster it is.
 * JGroups-raft clamps a follower's own commit index to what its log holds, so a follower that is
 * catching up would otherwise look current.
 *
 * <p>It keeps, in order, each new leader commit index with the time it was first seen; the oldest
 * one not yet applied here tells how long this node has been behind ({@link #behindNanos}).
 *
 * <p>Thread-safe: JGroups delivers messages on several threads; all state is guarded by {@code this}.
 */
public final class LeaderCommitTracker extends Protocol {

    /** Bound on remembered announcements; when full, the newest entry absorbs newer indexes. */
    private static final int MAX_PENDING = 4096;

    private final short raftHeaderId = ClassConfigurator.getProtocolId(RAFT.class);
    private final Deque<long[]> pending = new ArrayDeque<>(); // {commitIndex, firstSeenNanos}
    private long term;
    private long leaderCommit;

    @Override
    public Object up(Message msg) {
        observe(msg);
        return up_prot.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        for (Message msg : batch) {
            observe(msg);
        }
        up_prot.up(batch);
    }

    private void observe(Message msg) {
        Header header = msg.getHeader(raftHeaderId);
        if (header instanceof AppendEntriesRequest request) {
            try {
                long[] termAndCommit = termAndLeaderCommit(request);
                announce(termAndCommit[0], termAndCommit[1], System.nanoTime());
            } catch (IOException | RuntimeException e) {
                log.warn("%s: cannot read the leader's commit index: %s", local_addr, e);
            }
        }
    }

    /**
     * The header's term and leader commit index, read back from its wire form: JGroups-raft keeps
     * these fields protected, and its wire format is public and versioned.
     */
    static long[] termAndLeaderCommit(AppendEntriesRequest request) throws IOException {
        ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(64);
        request.writeTo(out);
        ByteArrayDataInputStream in = new ByteArrayDataInputStream(out.buffer(), 0, out.position());
        long term = Bits.readLongCompressed(in);
        try {
            Util.readAddress(in); // leader
        } catch (ClassNotFoundException e) {
            throw new IOException(e);
        }
        Bits.readLongCompressed(in); // entry_term
        Bits.readLongCompressed(in); // prev_log_index
        Bits.readLongCompressed(in); // prev_log_term
        return new long[] {term, Bits.readLongCompressed(in)};
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
