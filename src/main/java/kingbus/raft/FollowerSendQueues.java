package kingbus.raft;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.stack.Protocol;

/**
 * Sends the leader's {@code AppendEntries} to each follower from a queue and thread of that follower's own, so
 * that a follower on a slow link holds back only itself.
 *
 * <p>{@code RAFT} sends new entries as one message to the whole group and resends to one follower, all from its
 * single processing thread. Over TCP a group message is written to each member in turn by one thread, and a
 * message to one member waits in {@code UFC} until that member has taken enough of what was sent before: so a
 * follower whose link is slow (it was seen with a 1 Mbit/s link under a 2 MB/s load, {@code SlowFollowerIT})
 * blocked {@code RAFT}'s thread and the group writes, and the leader committed no faster than the slow follower
 * received, though the other follower made a majority.
 *
 * <p>Here, just below {@code RAFT}, every {@code AppendEntries} request goes to the queue of each member it is
 * for (a group message becomes one message per other member), and each queue's thread passes it down, where it
 * may wait for that member alone. A queue holds at most {@link #MAX_QUEUED_BYTES}; a message that does not fit is
 * dropped, as a lossy link would: the follower then refuses the next entries for the gap, and {@code RAFT}'s
 * catch-up ({@link BoundedResendRaft}) resends from where it is. Every other message passes straight down.
 *
 * <p>Thread-safe: {@link #down(Message)} runs on {@code RAFT}'s thread and others; each queue has one thread.
 */
public final class FollowerSendQueues extends Protocol {

    /** The bound on what waits in one follower's queue. */
    static final long MAX_QUEUED_BYTES = 8L << 20;
    /** A message without entries (a commit index only) still counts this much, so those are bounded too. */
    private static final long MIN_COUNTED_BYTES = 256;

    private final short raftHeaderId = ClassConfigurator.getProtocolId(RAFT.class);
    private final Map<Address, Sender> senders = new ConcurrentHashMap<>();
    private volatile List<Address> members = List.of();
    private volatile boolean stopped;

    /** Bytes of messages waiting in {@code member}'s queue (0 when it has none). */
    public long queuedBytes(Address member) {
        Sender sender = senders.get(member);
        return sender == null ? 0 : sender.queuedBytes.get();
    }

    @Override
    public Object down(Message msg) {
        if (stopped || !(msg.getHeader(raftHeaderId) instanceof AppendEntriesRequest)) {
            return down_prot.down(msg);
        }
        Address dest = msg.getDest();
        if (dest != null) {
            enqueue(dest, msg);
            return null;
        }
        for (Address member : members) {
            if (!member.equals(local_addr)) {
                enqueue(member, msg.copy(true, true).setDest(member));
            }
        }
        return null;
    }

    @Override
    public Object down(Event evt) {
        if (evt.getType() == Event.VIEW_CHANGE) {
            onView(evt.getArg());
        }
        return down_prot.down(evt);
    }

    @Override
    public Object up(Event evt) {
        if (evt.getType() == Event.VIEW_CHANGE) {
            onView(evt.getArg());
        }
        return up_prot.up(evt);
    }

    private void onView(View view) {
        List<Address> now = List.copyOf(view.getMembers());
        members = now;
        senders.entrySet().removeIf(entry -> {
            if (now.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().stop();
            return true;
        });
    }

    private void enqueue(Address member, Message msg) {
        Sender sender = senders.computeIfAbsent(member, Sender::new);
        // What the message counts against the bound: its payload, and at least 256 bytes for its headers.
        long counted = Math.max(MIN_COUNTED_BYTES, msg.getLength());
        long queued = sender.queuedBytes.get();
        if (queued > 0 && queued + counted > MAX_QUEUED_BYTES) {
            log.debug("%s: %s's send queue is full (%d bytes): dropping an AppendEntries of %d bytes", local_addr,
                    member, queued, counted);
            return;
        }
        sender.queuedBytes.addAndGet(counted);
        sender.queue.add(new Queued(msg, counted));
    }

    /** A message waiting in a queue, with what it counts against the queue's bound (its length is not cached). */
    private record Queued(Message msg, long counted) {
    }

    @Override
    public void stop() {
        stopped = true;
        senders.values().forEach(Sender::stop);
        senders.clear();
        super.stop();
    }

    /** One follower's queue and the thread that passes it down. */
    private final class Sender implements Runnable {
        final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
        final AtomicLong queuedBytes = new AtomicLong();
        final Thread thread;

        Sender(Address member) {
            thread = new Thread(this, "kingbus-raft-send-" + member);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            while (!stopped && !Thread.currentThread().isInterrupted()) {
                Queued next;
                try {
                    next = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    down_prot.down(next.msg());
                } catch (RuntimeException e) {
                    log.warn("%s: sending an AppendEntries to %s failed: %s", local_addr, next.msg().getDest(), e);
                } finally {
                    queuedBytes.addAndGet(-next.counted());
                }
            }
        }

        void stop() {
            thread.interrupt();
            queue.clear();
            queuedBytes.set(0);
        }
    }
}
