package kingbus.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import org.infinispan.Cache;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.persistence.sifs.configuration.SoftIndexFileStoreConfigurationBuilder;

/**
 * The committed binlog of one node, kept in an embedded Infinispan cache with a persistent
 * {@code SoftIndexFileStore} (fsync on every write) under {@code <dir>/infinispan}.
 *
 * <h2>Layout</h2>
 * One cache, {@value #CACHE_NAME}, two kinds of key:
 * <pre>
 *   Long segmentId  -> segment:  int fileOrdinal | long startPosition | byte[] events (whole, raw)
 *   "state"         -> state:    int version(1) | long nextSegmentId | utf gtidState | int fileCount
 *                                | FileMeta of the newest file
 *   "file/" ordinal -> FileMeta of an older file (written once, when the next file starts)
 *   FileMeta:                    int ordinal | utf name | long firstPosition | long endPosition
 *                                | bool rotated | int fdeLength (-1 = none) | byte[] fde
 *                                | utf startState | long firstSegment | long lastSegment (-1 = none)
 * </pre>
 * Segment ids grow by one per appended chunk, across files, so the segments of a file are the
 * contiguous range {@code [firstSegment, lastSegment]} and a position is found by a binary search
 * over them; nothing per event or per segment is kept on the heap.
 *
 * <h2>Commit and recovery</h2>
 * Only committed Raft entries are appended, so everything here is committed. An append writes its
 * segments first and the state record last; a crash in between leaves segments beyond
 * {@code nextSegmentId}, which are invisible and overwritten when the entry is applied again. Appends
 * are idempotent by position: a chunk the store already holds is skipped ({@link AppendResult#DUPLICATE}).
 *
 * <h2>Thread safety</h2>
 * Appends are serialised by a lock; readers see an immutable {@link View} published after each
 * append and wait on a condition for the next one.
 */
public final class BinlogStore implements BinlogReader, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BinlogStore.class.getName());

    static final String CACHE_NAME = "binlog";
    private static final String STATE_KEY = "state";
    private static final String FILE_KEY_PREFIX = "file/";
    private static final int STATE_FORMAT_VERSION = 1;

    private final DefaultCacheManager manager;
    private final Cache<Object, byte[]> cache;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final Condition appended = appendLock.newCondition();
    private final AtomicLong bytesAppended = new AtomicLong();
    private volatile View view;
    private volatile boolean closed;

    private BinlogStore(DefaultCacheManager manager, Cache<Object, byte[]> cache, View view) {
        this.manager = manager;
        this.cache = cache;
        this.view = view;
    }

    /**
     * Opens (or creates) the store under {@code dir}.
     *
     * @throws StoreCorruptException naming the record when what is on disk cannot be read
     */
    public static BinlogStore open(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().resolve("infinispan");
        Files.createDirectories(root);
        GlobalConfigurationBuilder global = new GlobalConfigurationBuilder().nonClusteredDefault();
        global.globalState().enable().persistentLocation(root.toString())
                .temporaryLocation(root.resolve("tmp").toString());
        global.jmx().enabled(false);
        global.cacheContainer().statistics(false);
        ConfigurationBuilder cacheConfig = new ConfigurationBuilder();
        cacheConfig.memory().maxCount(512);
        cacheConfig.persistence().passivation(false)
                .addStore(SoftIndexFileStoreConfigurationBuilder.class)
                .dataLocation(root.resolve("data").toString())
                .indexLocation(root.resolve("index").toString())
                .syncWrites(true)
                .preload(false)
                .purgeOnStartup(false);
        DefaultCacheManager manager = new DefaultCacheManager(global.build());
        try {
            manager.defineConfiguration(CACHE_NAME, cacheConfig.build());
            Cache<Object, byte[]> cache = manager.getCache(CACHE_NAME);
            View view = load(cache);
            LOG.info(() -> "Binlog store opened at " + root + ": " + view.files.size() + " file(s), GTID state '"
                    + view.gtidState + "'");
            return new BinlogStore(manager, cache, view);
        } catch (RuntimeException | IOException e) {
            manager.stop();
            throw e;
        }
    }

    // ---------------------------------------------------------------- write side

    /**
     * Appends committed chunks in order. All or nothing: if any chunk does not continue the
     * binlog exactly, nothing is written and {@link AppendResult#REJECTED} is returned.
     */
    public AppendResult append(List<Chunk> chunks) {
        appendLock.lock();
        try {
            ensureOpen();
            View current = view;
            List<FileMeta> files = new ArrayList<>(current.files);
            long nextSegment = current.nextSegmentId;
            GtidList state = current.gtidState;
            List<Object> segmentKeys = new ArrayList<>();
            List<byte[]> segmentValues = new ArrayList<>();
            List<FileMeta> finishedFiles = new ArrayList<>();
            boolean anyNew = false;
            long bytes = 0;
            for (Chunk chunk : chunks) {
                FileMeta last = files.isEmpty() ? null : files.get(files.size() - 1);
                EventScan scan = EventScan.of(chunk);
                if (!scan.valid()) {
                    LOG.severe("Refusing a chunk of " + chunk.file() + " at " + chunk.startPosition() + ": "
                            + scan.problem());
                    return AppendResult.REJECTED;
                }
                FileMeta target;
                if (last != null && last.name.equals(chunk.file())) {
                    if (chunk.endPosition() <= last.endPosition) {
                        continue; // already held
                    }
                    if (chunk.startPosition() != last.endPosition) {
                        LOG.severe("Refusing a chunk of " + chunk.file() + " at " + chunk.startPosition()
                                + ": the store ends that file at " + last.endPosition);
                        return AppendResult.REJECTED;
                    }
                    target = last;
                } else {
                    Optional<FileMeta> older = files.stream().filter(f -> f.name.equals(chunk.file())).findFirst();
                    if (older.isPresent()) {
                        if (chunk.endPosition() <= older.get().endPosition) {
                            continue; // already held
                        }
                        LOG.severe("Refusing a chunk of " + chunk.file() + " at " + chunk.startPosition()
                                + ": that file is no longer the newest");
                        return AppendResult.REJECTED;
                    }
                    if (last != null && chunk.file().compareTo(last.name) < 0) {
                        LOG.severe("Refusing a chunk of " + chunk.file() + ": it sorts before the newest file "
                                + last.name);
                        return AppendResult.REJECTED;
                    }
                    if (last != null) {
                        finishedFiles.add(last);
                    }
                    target = new FileMeta(files.size(), chunk.file(), chunk.startPosition(), chunk.startPosition(),
                            false, null, state, nextSegment, -1);
                    files.add(target);
                }
                FileMeta updated = target.append(chunk, scan, nextSegment);
                for (MariadbGtid gtid : scan.gtids()) {
                    state = state.with(gtid);
                }
                files.set(updated.ordinal, updated);
                segmentKeys.add(nextSegment);
                segmentValues.add(encodeSegment(updated.ordinal, chunk));
                nextSegment++;
                bytes += chunk.events().length;
                anyNew = true;
            }
            if (!anyNew) {
                return AppendResult.DUPLICATE;
            }
            for (int i = 0; i < segmentKeys.size(); i++) {
                cache.put(segmentKeys.get(i), segmentValues.get(i));
            }
            for (FileMeta finished : finishedFiles) {
                cache.put(FILE_KEY_PREFIX + finished.ordinal, files.get(finished.ordinal).encode());
            }
            View next = new View(List.copyOf(files), nextSegment, state, current.version + 1);
            cache.put(STATE_KEY, next.encodeState());
            view = next;
            bytesAppended.addAndGet(bytes);
            appended.signalAll();
            return AppendResult.APPENDED;
        } finally {
            appendLock.unlock();
        }
    }

    /** The newest file and its end position, if any: where the upstream should continue. */
    public Optional<BinlogFile> lastFile() {
        List<FileMeta> files = view.files;
        return files.isEmpty() ? Optional.empty() : Optional.of(files.get(files.size() - 1).toBinlogFile());
    }

    /** Bytes of events appended since this store was opened (for metrics). */
    public long bytesAppended() {
        return bytesAppended.get();
    }

    /** True until {@link #close()}. */
    public boolean isOpen() {
        return !closed;
    }

    // ---------------------------------------------------------------- read side

    @Override
    public List<BinlogFile> files() {
        return view.files.stream().map(FileMeta::toBinlogFile).toList();
    }

    @Override
    public Optional<BinlogFile> file(String name) {
        return view.files.stream().filter(f -> f.name.equals(name)).findFirst().map(FileMeta::toBinlogFile);
    }

    @Override
    public GtidList gtidState() {
        return view.gtidState;
    }

    @Override
    public long commitVersion() {
        return view.version;
    }

    @Override
    public boolean awaitCommit(long seenVersion, long timeoutMillis) throws InterruptedException {
        if (view.version > seenVersion) {
            return true;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        appendLock.lock();
        try {
            while (view.version <= seenVersion && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                appended.awaitNanos(left);
            }
            return view.version > seenVersion;
        } finally {
            appendLock.unlock();
        }
    }

    @Override
    public EventCursor open(String file, long position) {
        ensureOpen();
        View current = view;
        FileMeta meta = current.files.stream().filter(f -> f.name.equals(file)).findFirst()
                .orElseThrow(() -> new BinlogUnavailableException("Could not find binlog file '" + file
                        + "': Kingbus holds " + describeFiles(current)));
        if (position == meta.endPosition) {
            return new Cursor(meta.lastSegment < 0 ? meta.firstSegment : meta.lastSegment + 1, 0);
        }
        if (position < meta.firstPosition || position > meta.endPosition) {
            throw new BinlogUnavailableException("Position " + position + " is outside binlog file '" + file
                    + "', which Kingbus holds from " + meta.firstPosition + " to " + meta.endPosition);
        }
        long low = meta.firstSegment;
        long high = meta.lastSegment;
        while (low < high) { // last segment whose start <= position
            long mid = (low + high + 1) >>> 1;
            if (readSegment(mid).startPosition <= position) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        Segment segment = readSegment(low);
        int offset = 0;
        long eventPosition = segment.startPosition;
        while (eventPosition < position && offset < segment.eventsLength()) {
            int size = EventScan.eventSize(segment.bytes, Segment.HEADER_LENGTH + offset);
            offset += size;
            eventPosition += size;
        }
        if (eventPosition != position) {
            throw new BinlogUnavailableException("Position " + position + " in binlog file '" + file
                    + "' is not the start of an event");
        }
        return new Cursor(low, offset);
    }

    private Segment readSegment(long id) {
        byte[] value = cache.get(id);
        if (value == null) {
            throw new StoreCorruptException("Binlog segment " + id + " is missing from the store");
        }
        return Segment.decode(id, value);
    }

    private static String describeFiles(View view) {
        if (view.files.isEmpty()) {
            return "no binlog files yet";
        }
        return "files " + view.files.get(0).name + " to " + view.files.get(view.files.size() - 1).name;
    }

    private void ensureOpen() {
        if (closed) {
            throw new BinlogUnavailableException("The binlog store is closed");
        }
    }

    @Override
    public void close() {
        appendLock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            appendLock.unlock();
        }
        manager.stop();
        LOG.info("Binlog store closed");
    }

    // ---------------------------------------------------------------- cursor

    /** Walks segments in id order; one per dump session, not thread-safe. */
    private final class Cursor implements EventCursor {
        private long segmentId;
        private int offset;
        private Segment loaded;

        Cursor(long segmentId, int offset) {
            this.segmentId = segmentId;
            this.offset = offset;
        }

        @Override
        public StoredEvent next() {
            ensureOpen();
            View current = view;
            while (true) {
                if (segmentId >= current.nextSegmentId) {
                    return null;
                }
                if (loaded == null || loaded.id != segmentId) {
                    loaded = readSegment(segmentId);
                }
                if (offset >= loaded.eventsLength()) {
                    segmentId++;
                    offset = 0;
                    continue;
                }
                int start = Segment.HEADER_LENGTH + offset;
                int size = EventScan.eventSize(loaded.bytes, start);
                byte[] event = new byte[size];
                System.arraycopy(loaded.bytes, start, event, 0, size);
                StoredEvent stored = new StoredEvent(current.files.get(loaded.fileOrdinal).name,
                        loaded.startPosition + offset, event);
                offset += size;
                return stored;
            }
        }

        @Override
        public void close() {
            loaded = null;
        }
    }

    // ---------------------------------------------------------------- records

    private static byte[] encodeSegment(int fileOrdinal, Chunk chunk) {
        byte[] value = new byte[Segment.HEADER_LENGTH + chunk.events().length];
        java.nio.ByteBuffer.wrap(value).putInt(fileOrdinal).putLong(chunk.startPosition()).put(chunk.events());
        return value;
    }

    private record Segment(long id, int fileOrdinal, long startPosition, byte[] bytes) {
        static final int HEADER_LENGTH = Integer.BYTES + Long.BYTES;

        static Segment decode(long id, byte[] value) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(value);
            return new Segment(id, buffer.getInt(), buffer.getLong(), value);
        }

        int eventsLength() {
            return bytes.length - HEADER_LENGTH;
        }
    }

    /** The published, immutable state readers work from. */
    private record View(List<FileMeta> files, long nextSegmentId, GtidList gtidState, long version) {
        byte[] encodeState() {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeInt(STATE_FORMAT_VERSION);
                out.writeLong(nextSegmentId);
                out.writeUTF(gtidState.toString());
                out.writeInt(files.size());
                if (!files.isEmpty()) {
                    out.write(files.get(files.size() - 1).encode());
                }
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static View load(Cache<Object, byte[]> cache) throws IOException {
        byte[] state = cache.get(STATE_KEY);
        if (state == null) {
            return new View(List.of(), 0, GtidList.EMPTY, 0);
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
            int format = in.readInt();
            if (format != STATE_FORMAT_VERSION) {
                throw new StoreCorruptException("The store's state record has format " + format + ", expected "
                        + STATE_FORMAT_VERSION);
            }
            long nextSegment = in.readLong();
            GtidList gtids = GtidList.parse(in.readUTF());
            int fileCount = in.readInt();
            List<FileMeta> files = new ArrayList<>(fileCount);
            for (int ordinal = 0; ordinal < fileCount - 1; ordinal++) {
                byte[] meta = cache.get(FILE_KEY_PREFIX + ordinal);
                if (meta == null) {
                    throw new StoreCorruptException("The store lacks the record of binlog file number " + ordinal);
                }
                files.add(FileMeta.decode(new DataInputStream(new ByteArrayInputStream(meta))));
            }
            if (fileCount > 0) {
                files.add(FileMeta.decode(in));
            }
            return new View(List.copyOf(files), nextSegment, gtids, 1);
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptException("The store's state record cannot be read: " + e.getMessage(), e);
        }
    }

    /** What the store knows of one file; immutable. */
    private record FileMeta(
            int ordinal,
            String name,
            long firstPosition,
            long endPosition,
            boolean rotated,
            byte[] formatDescription,
            GtidList startState,
            long firstSegment,
            long lastSegment) {

        FileMeta append(Chunk chunk, EventScan scan, long segmentId) {
            byte[] fde = formatDescription;
            if (fde == null && chunk.startPosition() == BinlogFile.BIN_LOG_HEADER_SIZE) {
                fde = scan.formatDescription();
            }
            GtidList start = startState;
            if (lastSegment < 0 && scan.gtidListAtStart() != null) {
                start = scan.gtidListAtStart();
            }
            return new FileMeta(ordinal, name, firstPosition, chunk.endPosition(), rotated || scan.rotates(), fde,
                    start, firstSegment, segmentId);
        }

        BinlogFile toBinlogFile() {
            return new BinlogFile(name, firstPosition, endPosition, rotated, formatDescription, startState);
        }

        byte[] encode() {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeInt(ordinal);
                out.writeUTF(name);
                out.writeLong(firstPosition);
                out.writeLong(endPosition);
                out.writeBoolean(rotated);
                out.writeInt(formatDescription == null ? -1 : formatDescription.length);
                if (formatDescription != null) {
                    out.write(formatDescription);
                }
                out.writeUTF(startState.toString());
                out.writeLong(firstSegment);
                out.writeLong(lastSegment);
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static FileMeta decode(DataInputStream in) throws IOException {
            int ordinal = in.readInt();
            String name = in.readUTF();
            long first = in.readLong();
            long end = in.readLong();
            boolean rotated = in.readBoolean();
            int fdeLength = in.readInt();
            byte[] fde = null;
            if (fdeLength >= 0) {
                fde = in.readNBytes(fdeLength);
            }
            GtidList start = GtidList.parse(in.readUTF());
            return new FileMeta(ordinal, name, first, end, rotated, fde, start, in.readLong(), in.readLong());
        }
    }

    static {
        // Infinispan logs a lot at INFO through JBoss Logging; keep our own log readable.
        Logger.getLogger("org.infinispan").setLevel(Level.WARNING);
    }
}
