package kingbus.raft;

import java.io.DataInput;
import java.io.EOFException;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;
import kingbus.store.AppendResult;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogStore;
import kingbus.store.BinlogUnavailableException;
import org.jgroups.raft.StateMachine;

/**
 * Applies committed Raft entries to the {@link BinlogStore}.
 *
 * <h2>What it does</h2>
 * A BINLOG entry's chunks are appended to the store; a PURGE entry drops the files before the one
 * it names ({@link BinlogStore#purgeTo}); a MASTER entry sets or clears the operators' {@link MasterChoice},
 * which listeners hear of; a BARRIER entry changes nothing. The reply to
 * the proposer is one byte, the {@link AppendResult} ordinal, so a leader's syncer learns that its
 * entry was a duplicate or was rejected.
 *
 * <h2>Snapshots</h2>
 * The store is the state, made durable before a snapshot is taken; a snapshot is only a marker: the newest file
 * and its end position, the first file kept, where the writer's MySQL listener is, and the master choice. Reading a
 * snapshot checks that the local store holds at least that much; a store that is behind (a member
 * that was down past the Raft log's truncation point) is brought up to it by a {@link
 * SnapshotFetcher}, which streams the missing files from the writer, and then purged to the same
 * first file.
 *
 * <h2>Thread safety</h2>
 * JGroups-raft calls {@code apply} from one thread, in log order; the store serialises appends.
 *
 * <h2>Failure</h2>
 * A rejected entry is logged by the store and skipped on every node alike (the decision depends
 * only on the entry and the committed store). A store behind a snapshot throws, and the node does
 * not become ready. An entry that fails its checksum is not stored, nor anything after it on this node.
 */
public final class BinlogStateMachine implements StateMachine {

    private static final Logger LOG = Logger.getLogger(BinlogStateMachine.class.getName());

    private final BinlogStore store;
    private final SnapshotFetcher fetcher;
    private final String advertisedAddress;
    /** Where the master choice is kept (host and port, one line each; absent or empty: none), or null. */
    private final Path choiceFile;
    /** True while RAFT reads this node's own snapshot at start ({@link BoundedResendRaft#initStateMachineFromLog}). */
    private volatile boolean restoring;
    private volatile boolean fetching;
    /** False once an entry failed or was refused since this node started: the applied mark stops there. */
    private volatile boolean appliedCleanly = true;
    /**
     * Why the store could not take an entry (it closed, the wait for disk space was interrupted), or null.
     * JGroups-raft goes on to the next entry after a failed apply; from then on each is refused with this
     * reason instead of reaching the store, which would refuse it as a gap. RAFT applies them again from
     * the applied mark when it starts again.
     */
    private volatile String storeUnavailable;
    /** The operators' master, or null for each node's configured one: the last MASTER entry or snapshot applied. */
    private volatile MasterChoice masterChoice;
    /** Told of each MASTER entry applied and each snapshot read, on RAFT's thread: it must not block. */
    private volatile Consumer<MasterChoice> masterListener = choice -> {};

    /** A state machine that cannot catch up from a snapshot (tests). */
    public BinlogStateMachine(BinlogStore store) {
        this(store, null, "");
    }

    /**
     * @param fetcher brings the store up to a snapshot it is behind, or null to refuse such a snapshot
     * @param advertisedAddress {@code host:port} of this node's MySQL listener, written into its snapshots
     */
    public BinlogStateMachine(BinlogStore store, SnapshotFetcher fetcher, String advertisedAddress) {
        this(store, fetcher, advertisedAddress, null);
    }

    /**
     * As above, the master choice kept in {@code choiceFile} (beside the Raft log): entries already applied are not
     * replayed at a start (see {@link AppliedIndex}), so the choice must outlive the process on its own.
     *
     * @param choiceFile where the master choice is kept, or null to keep it in memory only (tests)
     */
    public BinlogStateMachine(BinlogStore store, SnapshotFetcher fetcher, String advertisedAddress, Path choiceFile) {
        this.store = store;
        this.fetcher = fetcher;
        this.advertisedAddress = advertisedAddress;
        this.choiceFile = choiceFile;
        this.masterChoice = choiceFile == null ? null : readChoice(choiceFile);
    }

    @Override
    public byte[] apply(byte[] data, int offset, int length, boolean serializeResponse) {
        String unavailable = storeUnavailable;
        if (unavailable != null) {
            throw new BinlogUnavailableException("Not applied: an earlier entry could not be (" + unavailable
                    + "); applied when Raft starts again");
        }
        AppendResult result;
        try {
            result = switch (EntryCodec.kind(data, offset)) {
                case EntryCodec.BARRIER -> AppendResult.DUPLICATE;
                case EntryCodec.BINLOG, EntryCodec.BINLOG_CHECKED ->
                        store.append(EntryCodec.chunks(data, offset, length));
                case EntryCodec.PURGE -> store.purgeTo(EntryCodec.purgedTo(data, offset, length));
                case EntryCodec.MASTER -> {
                    chooseMaster(EntryCodec.masterOf(data, offset, length));
                    yield AppendResult.APPENDED;
                }
                default -> {
                    LOG.severe("Skipping a Raft entry of unknown kind " + data[offset]);
                    yield AppendResult.REJECTED;
                }
            };
        } catch (BinlogUnavailableException e) {
            appliedCleanly = false;
            storeUnavailable = e.getMessage();
            throw e;
        } catch (RaftEntryCorruptException e) {
            // Nothing after it may be stored either (it would be a gap): the node stops applying, says why once, and
            // reports not ready (its apply lags). The entry stays in its Raft log; the other nodes have their own copy.
            appliedCleanly = false;
            storeUnavailable = e.getMessage();
            LOG.severe(e.getMessage() + ". Nothing more is applied on this node, whose Raft log (or memory) is"
                    + " damaged; it serves what it stored before");
            throw e;
        } catch (RuntimeException | Error e) {
            appliedCleanly = false;
            throw e;
        }
        if (result == AppendResult.REJECTED && !restoring) {
            appliedCleanly = false; // replayed entries of files purged since are refused at every start: not news
        }
        return serializeResponse ? new byte[] {(byte) result.ordinal()} : null;
    }

    private void chooseMaster(MasterChoice choice) {
        boolean changed = !java.util.Objects.equals(masterChoice, choice);
        if (changed && choiceFile != null) {
            writeChoice(choiceFile, choice); // before the applied mark can cover this entry
        }
        masterChoice = choice;
        if (changed) {
            LOG.info(() -> choice == null ? "The operators' master choice is cleared: each node's configured master"
                    : "The operators chose the master " + choice);
        }
        try {
            masterListener.accept(choice);
        } catch (RuntimeException e) { // the choice is applied; a listener's failure must not fail the entry
            LOG.warning("A listener of the master choice failed: " + e);
        }
    }

    /** The operators' master (the last MASTER entry applied here), or empty for each node's configured one. */
    public Optional<MasterChoice> masterChoice() {
        return Optional.ofNullable(masterChoice);
    }

    /** Tells {@code listener} of each MASTER entry applied and each snapshot read, on RAFT's thread. */
    public void onMasterChoice(Consumer<MasterChoice> listener) {
        masterListener = listener;
    }

    /**
     * Writes: utf newest file | long its end | utf first file | utf writer's MySQL host:port | utf chosen master's
     * host ("" for none) | int its port. Syncs the store first: RAFT truncates its log after this, and the store
     * must then hold every entry applied durably.
     */
    @Override
    public void writeContentTo(DataOutput out) throws Exception {
        store.sync();
        BinlogFile last = store.lastFile().orElse(null);
        out.writeUTF(last == null ? "" : last.name());
        out.writeLong(last == null ? 0 : last.endPosition());
        List<BinlogFile> files = store.files();
        out.writeUTF(files.isEmpty() ? "" : files.get(0).name());
        out.writeUTF(advertisedAddress);
        MasterChoice choice = masterChoice;
        out.writeUTF(choice == null ? "" : choice.host());
        out.writeInt(choice == null ? 0 : choice.port());
    }

    @Override
    public void readContentFrom(DataInput in) throws Exception {
        String file = in.readUTF();
        long end = in.readLong();
        String first = "";
        String source = "";
        String chosenHost = "";
        int chosenPort = 0;
        try {
            first = in.readUTF();
            source = in.readUTF();
            chosenHost = in.readUTF();
            chosenPort = in.readInt();
        } catch (EOFException e) {
            // a snapshot written before these fields existed: no master chosen then
        }
        if (!restoring) {
            // This node's own snapshot, read at start, is older than its choice file (entries after the snapshot
            // are not all replayed); one sent by the leader is the cluster's state.
            chooseMaster(chosenHost.isEmpty() ? null : new MasterChoice(chosenHost, chosenPort));
        }
        if (file.isEmpty()) {
            return;
        }
        if (!holds(file, end)) {
            if (restoring) {
                // This node's own snapshot, read at start, is ahead of its store: an install whose fetch failed.
                // Its log is older than the snapshot, so the leader sends a snapshot again once it has joined.
                LOG.warning("The local binlog store is behind this node's Raft snapshot (" + file + ":" + end
                        + "): it catches up when the leader sends a snapshot again");
                return;
            }
            if (fetcher == null || source.isEmpty()) {
                throw new IllegalStateException("The local binlog store is behind the Raft snapshot (" + file + ":"
                        + end + ") and cannot fetch the rest (no source in the snapshot)");
            }
            SnapshotFetcher.Target target = new SnapshotFetcher.Target(first, file, end, source);
            LOG.info(() -> "Behind the Raft snapshot (" + file + ":" + end + ", first file " + target.firstFile()
                    + "): fetching the binlog this node lacks from " + target.source());
            fetching = true;
            try {
                fetcher.fetch(target);
            } finally {
                fetching = false;
            }
            if (!holds(file, end)) {
                throw new IllegalStateException("Fetching from " + source + " ended before " + file + ":" + end);
            }
            store.sync(); // RAFT replaces its log by the snapshot next: the fetched files must be durable first
        }
        if (!first.isEmpty() && store.file(first).isPresent()) {
            store.purgeTo(first); // the purges the snapshot stands for; nothing when already there
        }
    }

    /** The choice kept in {@code file}, or null when there is none. */
    private static MasterChoice readChoice(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.size() < 2 || lines.get(0).isEmpty() ? null
                    : new MasterChoice(lines.get(0), Integer.parseInt(lines.get(1).strip()));
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot read the master choice kept in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Keeps {@code choice} in {@code file} durably: a temp file forced to disk, then moved over it. */
    private static void writeChoice(Path file, MasterChoice choice) {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        String lines = choice == null ? "" : choice.host() + "\n" + choice.port() + "\n";
        byte[] text = lines.getBytes(StandardCharsets.UTF_8);
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(ByteBuffer.wrap(text));
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot keep the master choice in " + file, e);
        }
    }

    /** Makes every append so far durable ({@link BinlogStore#sync()}). */
    void syncStore() {
        store.sync();
    }

    /** Set while RAFT restores this node's own snapshot at start: a store behind it is not fetched then. */
    void restoring(boolean value) {
        restoring = value;
    }

    /** True while a snapshot's files are being fetched (RAFT's thread is busy with it). */
    boolean fetching() {
        return fetching;
    }

    /** True while every entry since this node started was applied, or found held, without error or refusal. */
    boolean appliedCleanly() {
        return appliedCleanly;
    }

    /** The store's newest file and its end, or empty when it holds none. */
    Optional<BinlogFile> storeEnd() {
        return store.lastFile();
    }

    /** True when the store holds {@code file} up to {@code end}, or a later file. */
    boolean holds(String file, long end) {
        BinlogFile held = store.file(file).orElse(null);
        if (held != null) {
            return held.endPosition() >= end;
        }
        return store.lastFile().map(last -> last.name().compareTo(file) > 0).orElse(false);
    }
}
