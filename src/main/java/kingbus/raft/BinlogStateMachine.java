package kingbus.raft;

import java.io.DataInput;
import java.io.DataOutput;
import java.util.logging.Logger;
import kingbus.store.AppendResult;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogStore;
import org.jgroups.raft.StateMachine;

/**
 * Applies committed Raft entries to the {@link BinlogStore}.
 *
 * <h2>What it does</h2>
 * A BINLOG entry's chunks are appended to the store; a PURGE entry drops the files before the one
 * it names ({@link BinlogStore#purgeTo}); a BARRIER entry changes nothing. The reply to
 * the proposer is one byte, the {@link AppendResult} ordinal, so a leader's syncer learns that its
 * entry was a duplicate or was rejected.
 *
 * <h2>Snapshots</h2>
 * The store is the state, and it is already durable; a snapshot is only a marker: the newest file
 * and its end position. Reading a snapshot checks that the local store holds at least that much.
 *
 * <h2>Thread safety</h2>
 * JGroups-raft calls {@code apply} from one thread, in log order; the store serialises appends.
 *
 * <h2>Failure</h2>
 * A rejected entry is logged by the store and skipped on every node alike (the decision depends
 * only on the entry and the committed store). A store behind a snapshot throws, and the node does
 * not become ready.
 */
public final class BinlogStateMachine implements StateMachine {

    private static final Logger LOG = Logger.getLogger(BinlogStateMachine.class.getName());

    private final BinlogStore store;

    public BinlogStateMachine(BinlogStore store) {
        this.store = store;
    }

    @Override
    public byte[] apply(byte[] data, int offset, int length, boolean serializeResponse) {
        AppendResult result = switch (EntryCodec.kind(data, offset)) {
            case EntryCodec.BARRIER -> AppendResult.DUPLICATE;
            case EntryCodec.BINLOG -> store.append(EntryCodec.chunks(data, offset, length));
            case EntryCodec.PURGE -> store.purgeTo(EntryCodec.purgedTo(data, offset, length));
            default -> {
                LOG.severe("Skipping a Raft entry of unknown kind " + data[offset]);
                yield AppendResult.REJECTED;
            }
        };
        return serializeResponse ? new byte[] {(byte) result.ordinal()} : null;
    }

    @Override
    public void writeContentTo(DataOutput out) throws Exception {
        BinlogFile last = store.lastFile().orElse(null);
        out.writeUTF(last == null ? "" : last.name());
        out.writeLong(last == null ? 0 : last.endPosition());
    }

    @Override
    public void readContentFrom(DataInput in) throws Exception {
        String file = in.readUTF();
        long end = in.readLong();
        if (file.isEmpty()) {
            return;
        }
        BinlogFile held = store.file(file).orElse(null);
        if (held == null || held.endPosition() < end) {
            throw new IllegalStateException("The local binlog store is behind the Raft snapshot (" + file + ":" + end
                    + "); it holds " + (held == null ? "no such file" : "up to " + held.endPosition())
                    + ". Catching up from a snapshot is not supported yet: wipe this node's data dir to rejoin.");
        }
    }
}
