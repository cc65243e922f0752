package kingbus.store;

import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import org.infinispan.Cache;
import org.infinispan.context.Flag;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.persistence.sifs.configuration.SoftIndexFileStoreConfigurationBuilder;

/**
 * The committed binlog of one node, kept in an embedded Infinispan cache with a persistent
 * {@code SoftIndexFileStore} under {@code <dir>/infinispan}, made durable by {@link #sync()} rather than by an fsync
 * per write.
 *
 * <h2>Layout</h2>
 * One cache, {@value #CACHE_NAME}, two kinds of key:
 * <pre>
 *   Long segmentId  -> segment:  int fileOrdinal | long startPosition | int crc32c | byte[] events (whole, raw)
 *                                or, compressed ({@code kingbus.store.compression}; bit 31 of fileOrdinal set):
 *                                int fileOrdinal | long startPosition | int crc32c | int eventsLength | zstd frame
 *   "state"         -> state:    int version(3; 4 once compression was on) | long nextSegmentId | utf gtidState | int fileCount
 *                                | int firstOrdinal | FileMeta of the newest file | int crc32c
 *   "file/" ordinal -> FileMeta of an older file (written once, when the next file starts) | int crc32c
 *   FileMeta:                    int ordinal | utf name | long firstPosition | long endPosition
 *                                | bool rotated | int fdeLength (-1 = none) | byte[] fde
 *                                | utf startState | long firstSegment | long lastSegment (-1 = none)
 * </pre>
 * Every value ends (state, file) or is headed (segment) by a CRC-32C of the rest of it, so bytes
 * damaged on disk are found rather than served.
 * Segment ids grow by one per appended chunk, across files, so the segments of a file are the
 * contiguous range {@code [firstSegment, lastSegment]} and a position is found by a binary search
 * over them; nothing per event or per segment is kept on the heap.
 *
 * <h2>Commit and recovery</h2>
 * Only committed Raft entries are appended, so everything here is committed. An append publishes the new
 * view to readers (its segments on the heap until written), then writes its segments (and the record of a
 * file it ends) without fsync; the state record is written only by {@link #sync()}, which first forces
 * every data file written since the last one, then writes the state record of the newest view whose
 * writes had all returned, and forces that too. The state on disk
 * so never names a segment that is not there. A crash loses the appends after the last sync: their
 * segments lie beyond {@code nextSegmentId}, invisible, and are overwritten when the Raft log applies
 * the entries again (the Raft log is the write-ahead log: it is fsynced, and its caller records an
 * entry as applied only once a sync covers it). Appends are idempotent by position: a chunk the store
 * already holds is skipped ({@link AppendResult#DUPLICATE}). A purge writes its state record at once,
 * with the same two forces.
 *
 * <h2>Compression at rest</h2>
 * With {@link #zstdLevel} set, each segment's events are stored as one zstd frame when that is smaller
 * ({@link SegmentCompression}); readers and {@link #recent} only ever see the plain form, so the events
 * are served byte for byte as appended. Plain and compressed segments may be mixed in one store.
 *
 * <h2>Purge</h2>
 * {@link #purgeTo} drops whole files from the front: the state record moves {@code firstOrdinal}
 * first (from then on the files are gone for readers), then a background thread removes their
 * segments and, last, their file records; a restart finishes a removal a crash interrupted
 * ({@code "file/" ordinal} records below {@code firstOrdinal} are left-overs). Format 2 stores
 * (no {@code firstOrdinal}) are read as never purged.
 *
 * <h2>Readers</h2>
 * Every open cursor is registered with the name of its reader and the file it is in
 * ({@link #readers()}), so a purge can be held back by a replica still reading a file, as on
 * a MariaDB master.
 *
 * <h2>Disk full</h2>
 * An append first waits while the disk has less than {@link #minFreeBytes(long)} usable, and a
 * write that fails (the disk filled up anyway, or any I/O error) is retried until it succeeds: an
 * entry Raft has committed must never be skipped, and a half-written append is not recorded until its
 * writes have all returned (readers may have it already: it is committed). Meanwhile {@link #writeBlocked()}
 * says why, readers are served as before, and nothing is lost; the append continues once space is freed.
 *
 * <h2>Damage</h2>
 * Opening checks the state and every file record, and the newest segments up to a byte budget;
 * {@link #verify} walks all the rest (the node runs it in the background). Every read checks its
 * segment too. The first damage found is kept ({@link #damage()}): from then on the store refuses
 * every read with {@link StoreCorruptException}, whose message names the data directory, the
 * binlog file and the position, and the node reports it is not live.
 *
 * <h2>Thread safety</h2>
 * Appends are serialised by a lock; readers see an immutable {@link View} published by each append
 * and wait on a condition of their own lock for the next one, so a reader never waits for a write.
 */
public final class BinlogStore implements BinlogReader, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BinlogStore.class.getName());

    static final String CACHE_NAME = "binlog";
    private static final String STATE_KEY = "state";
    /**
     * The same state record again, written right after {@link #STATE_KEY}: a kill -9 can cut the record being
     * written short, and then the other one still holds a whole state (the newer one unless the first was cut).
     */
    private static final String STATE_COPY_KEY = "state-copy";
    private static final String FILE_KEY_PREFIX = "file/";
    /** Format 4 is format 3 in a store whose segments may be compressed: a Kingbus that reads only 3 refuses it. */
    private static final int STATE_FORMAT_VERSION = 4;
    /** The format written while no segment can be compressed, so such stores stay readable by format-3 readers. */
    private static final int PLAIN_STATE_FORMAT = 3;
    /** The oldest format read: format 2 has no first ordinal (nothing was ever purged). */
    private static final int OLDEST_READABLE_FORMAT = 2;
    /** Written next to the data when damage is found, so a restart refuses the store too. */
    static final String DAMAGE_MARKER = "DAMAGED";
    /** The bytes of segments kept on the heap for readers (see {@link #recent}). */
    static final long RECENT_SEGMENT_BYTES = 16L << 20;
    /** A segment holds whole events up to this many bytes (one event alone when it is larger). */
    static final int SEGMENT_BYTES = 1 << 20;

    private final Path root;
    private final Path dataLocation;
    private final DefaultCacheManager manager;
    private final Cache<Object, byte[]> cache;
    /**
     * The same cache for writes: a put or remove never loads the value it replaces. A kill -9 can cut the last
     * record of a data file short, and loading that record (an append after the last sync, written again by
     * the replay) fails for good; nothing here needs the old value anyway.
     */
    private final Cache<Object, byte[]> writes;
    /**
     * The segments appended or read last, bounded by their bytes, not their number: a segment is one Raft
     * entry's chunk, a whole transaction when that is larger, so a count bound held 8 x 10 MB with 10 MB
     * transactions. Tailing readers find new segments here; Infinispan's own container keeps only two.
     */
    private final com.github.benmanes.caffeine.cache.Cache<Long, byte[]> recent;
    private final ReentrantLock appendLock = new ReentrantLock();
    /** Signalled when an append ends or the store closes: appends waiting for disk space. */
    private final Condition appended = appendLock.newCondition();
    /** Guards only {@link #published}, so that a reader waiting for new events never waits for a write. */
    private final ReentrantLock publishLock = new ReentrantLock();
    /** Signalled when readers get a new view (see {@link #publish}) or the store closes. */
    private final Condition published = publishLock.newCondition();
    /** Segments readers already see whose write to Infinispan has not returned yet, by id (see {@link #tryAppend}). */
    private final Map<Long, byte[]> unwritten = new ConcurrentHashMap<>();
    private final AtomicLong bytesAppended = new AtomicLong();
    /** Open cursors, so a purge can tell which files are being read and by whom. */
    private final Set<Cursor> cursors = ConcurrentHashMap.newKeySet();
    /** Removes the segments and records of purged files, oldest first, off the Raft apply thread. */
    private final ExecutorService remover = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kingbus-purge-remover");
        thread.setDaemon(true);
        return thread;
    });
    /** What readers see: every committed append, published before its write to Infinispan returns. */
    private volatile View view;
    /** The newest view whose segments and file records are all written: what {@link #sync()} may record. */
    private volatile View writtenView;
    private volatile boolean closed;
    /** Set first thing by {@link #close()}, so an append retrying a failed write under the append lock gives up. */
    private volatile boolean closing;
    /** Run before each append's writes; tests hold or fail a write with it. Null in service. */
    private volatile Runnable beforeWrites;
    private volatile StoreCorruptException damage;
    /** False while {@link #open} checks the store: damage found then is thrown to the opener, not logged here. */
    private volatile boolean logDamage;
    /** New segments are compressed with zstd at this level; 0: stored as they are. */
    private volatile int zstdLevel;
    /** One warning when zstd fails (segments are then stored plain). */
    private volatile boolean compressionFailureLogged;
    /** Set for good once compression was on: the state record is then written in format 4. */
    private volatile boolean mayHoldCompressed;
    /** An append waits while fewer bytes than this are usable on the store's disk. */
    private volatile long minFreeBytes;
    /** The file system the store lives on, once looked up. */
    private volatile FileStore fileStore;
    /** Why appends are waiting (disk full, failed writes), or null. */
    private volatile String writeBlocked;
    /** Segments from here on were checked by {@link #open}. */
    private volatile long checkedAtOpenFrom;
    /** Serialises {@link #sync()}s. */
    private final ReentrantLock syncLock = new ReentrantLock();
    /** The version of the newest view whose state record is on disk and forced. */
    private volatile long durableVersion;
    /** Each data file's size when it was last forced; guarded by itself. */
    private final Map<Path, Long> forcedSizes = new HashMap<>();

    private BinlogStore(Path root, Path dataLocation, DefaultCacheManager manager, Cache<Object, byte[]> cache,
            View view) {
        this.root = root;
        this.dataLocation = dataLocation;
        this.manager = manager;
        this.cache = cache;
        this.writes = cache.getAdvancedCache().withFlags(Flag.IGNORE_RETURN_VALUES, Flag.SKIP_CACHE_LOAD);
        this.view = view;
        this.writtenView = view;
        this.durableVersion = view.version;
        this.recent = Caffeine.newBuilder().maximumWeight(RECENT_SEGMENT_BYTES)
                .weigher((Long id, byte[] value) -> value.length).executor(Runnable::run).build();
    }

    /** Opens (or creates) the store under {@code dir}, checking the newest 256 MiB of segments. */
    public static BinlogStore open(Path dir) throws IOException {
        return open(dir, 256L << 20);
    }

    /**
     * Opens (or creates) the store under {@code dir}, checking every record's checksum except
     * segments older than the newest {@code verifyBytes} (see {@link #verify}).
     *
     * @throws StoreCorruptException naming the data directory and the record when what is on disk is damaged
     */
    public static BinlogStore open(Path dir, long verifyBytes) throws IOException {
        long began = System.nanoTime();
        Path root = dir.toAbsolutePath().resolve("infinispan");
        Files.createDirectories(root);
        GlobalConfigurationBuilder global = new GlobalConfigurationBuilder().nonClusteredDefault();
        global.globalState().enable().persistentLocation(root.toString())
                .temporaryLocation(root.resolve("tmp").toString());
        global.jmx().enabled(false);
        global.cacheContainer().statistics(false);
        ConfigurationBuilder cacheConfig = new ConfigurationBuilder();
        // Segments are up to kingbus.raft.max-entry-bytes (1 MiB) each, but a whole large transaction when
        // that is larger: Infinispan's container bounds them by number only, so it keeps two, and the store
        // keeps recent ones in a cache bounded by bytes (see recent).
        cacheConfig.memory().maxCount(2);
        cacheConfig.persistence().passivation(false)
                .addStore(SoftIndexFileStoreConfigurationBuilder.class)
                .dataLocation(root.resolve("data").toString())
                .indexLocation(root.resolve("index").toString())
                .syncWrites(false) // sync() forces the files: one fsync for many appends, off the apply path
                .preload(false)
                .purgeOnStartup(false);
        DefaultCacheManager manager = new DefaultCacheManager(global.build());
        try {
            manager.defineConfiguration(CACHE_NAME, cacheConfig.build());
            Cache<Object, byte[]> cache = manager.getCache(CACHE_NAME);
            Path dataLocation = dataFilesDirectory(root.resolve("data"));
            LoadedState loaded = loadState(cache, dataLocation);
            View view = loaded.view();
            byte[] stored = loaded.record();
            Path marker = root.resolve(DAMAGE_MARKER);
            if (Files.exists(marker)) {
                throw new StoreCorruptException(Files.readString(marker).strip());
            }
            BinlogStore store = new BinlogStore(root, dataLocation, manager, cache, view);
            store.mayHoldCompressed = stored != null
                    && java.nio.ByteBuffer.wrap(stored).getInt() == STATE_FORMAT_VERSION; // load checked its length
            long from = store.segmentCoveringNewest(verifyBytes);
            long verifyBegan = System.nanoTime();
            store.verify(from, view.nextSegmentId);
            long verifyMillis = (System.nanoTime() - verifyBegan) / 1_000_000;
            StoreCorruptException found = store.damage;
            if (found != null) {
                throw found;
            }
            store.logDamage = true;
            store.checkedAtOpenFrom = from;
            store.finishInterruptedRemoval();
            if (loaded.fromCopy()) {
                store.appendLock.lock();
                try {
                    store.writeStateDurably(view); // both records whole again
                } finally {
                    store.appendLock.unlock();
                }
            }
            LOG.info(() -> "Binlog store opened at " + root + ": " + view.files.size() + " file(s), GTID state '"
                    + view.gtidState + "'; segments from " + from + " of " + view.nextSegmentId + " checked in "
                    + verifyMillis + " ms; opened in " + (System.nanoTime() - began) / 1_000_000 + " ms");
            return store;
        } catch (RuntimeException | IOException e) {
            manager.stop();
            throw e;
        }
    }

    /** A state record read at open ({@code null} when the store is new), the view it describes, and where it was. */
    private record LoadedState(byte[] record, View view, boolean fromCopy) {
    }

    /**
     * Reads the state record, or its copy when the record cannot be read and the copy can (a crash cut the record
     * short while it was written: the copy holds the state of the sync before).
     *
     * @throws StoreCorruptException naming the data directory when neither can be read
     */
    private static LoadedState loadState(Cache<Object, byte[]> cache, Path dataLocation) throws IOException {
        StoreCorruptException damage;
        try {
            byte[] stored = cache.get(STATE_KEY);
            return new LoadedState(stored, load(cache, stored), false);
        } catch (StoreFormatException e) {
            throw e;
        } catch (StoreCorruptException e) {
            damage = new StoreCorruptException(damaged(dataLocation, e.getMessage()), e);
        } catch (RuntimeException e) {
            damage = new StoreCorruptException(damaged(dataLocation, "the state record cannot be read (" + e + ")"), e);
        }
        byte[] copy;
        View view;
        try {
            copy = cache.get(STATE_COPY_KEY);
            view = copy == null ? null : load(cache, copy);
        } catch (RuntimeException copyFailed) {
            damage.addSuppressed(copyFailed);
            throw damage;
        }
        if (view == null) {
            throw damage; // written by a Kingbus before the copy, or the store's very first record was cut
        }
        LOG.warning("The binlog store's state record in " + dataLocation + " cannot be read ("
                + damage.getCause().getMessage() + "), as when a crash cut it short while it was written; using its"
                + " copy from the sync before. Entries applied since are applied again from the Raft log");
        return new LoadedState(copy, view, true);
    }

    /**
     * The directory that holds the file store's data files (Infinispan puts them a cache name and
     * a level below the configured location), so a damage report points at the files themselves.
     */
    private static Path dataFilesDirectory(Path location) {
        try (var walk = Files.walk(location, 3)) {
            return walk.filter(Files::isRegularFile).map(Path::getParent).findFirst().orElse(location);
        } catch (IOException | UncheckedIOException e) {
            return location;
        }
    }

    private static String damaged(Path dataLocation, String what) {
        return "The binlog store in " + dataLocation + " is damaged: " + what
                + ". Kingbus will not serve it: move this node's data dir aside and restart the node to fetch the"
                + " binlog again from the cluster";
    }

    /** The first segment of the newest stretch of about {@code bytes} bytes. */
    private long segmentCoveringNewest(long bytes) {
        View current = view;
        long left = bytes;
        for (int i = current.files.size() - 1; i >= 0; i--) {
            FileMeta file = current.files.get(i);
            long size = file.endPosition - file.firstPosition;
            if (size >= left && file.lastSegment >= 0) {
                try {
                    return segmentHolding(file, file.endPosition - left);
                } catch (StoreCorruptException e) {
                    return file.firstSegment; // the damage is recorded; open() reports it
                }
            }
            left -= size;
        }
        return 0;
    }

    /**
     * Checks segments {@code [fromSegment, toSegment)}: each is present, passes its checksum, and
     * continues its file exactly where the previous one ended. Returns false at the first problem,
     * keeping the damage (see {@link #damage()}), or when the store closes first. Safe to run beside
     * appends and reads.
     */
    public boolean verify(long fromSegment, long toSegment) {
        View current = writtenView; // a segment readers see may not be in Infinispan yet
        for (FileMeta file : current.files) {
            if (file.lastSegment < 0 || file.lastSegment < fromSegment || file.firstSegment >= toSegment) {
                continue;
            }
            long expected = -1;
            for (long id = Math.max(file.firstSegment, fromSegment); id <= file.lastSegment && id < toSegment; id++) {
                if (closed) {
                    return false; // stopped early: not verified
                }
                try {
                    Segment segment = readStoredSegment(id);
                    if (segment.fileOrdinal != file.ordinal
                            || (expected >= 0 && segment.startPosition != expected)
                            || (id == file.firstSegment && segment.startPosition != file.firstPosition)) {
                        throw corrupt("segment " + id + " holds file #" + segment.fileOrdinal + " at "
                                + segment.startPosition + " where binlog file '" + file.name + "' continues"
                                + (expected >= 0 ? " at " + expected : ""));
                    }
                    expected = segment.startPosition + segment.eventsLength();
                    if (id == file.lastSegment && expected != file.endPosition) {
                        throw corrupt("binlog file '" + file.name + "' ends at " + expected
                                + " in its segments but at " + file.endPosition + " in its record");
                    }
                } catch (StoreCorruptException e) {
                    return false;
                } catch (BinlogPurgedException e) {
                    break; // purged while being checked: nothing left to check in this file
                }
            }
        }
        return damage == null;
    }

    /** All segments, oldest first; see {@link #verify(long, long)}. */
    public boolean verifyAll() {
        return verify(0, writtenView.nextSegmentId);
    }

    /** The segments {@link #open} did not check (older than its byte budget); see {@link #verify(long, long)}. */
    public boolean verifyUncheckedAtOpen() {
        return verify(0, checkedAtOpenFrom);
    }

    /** The first damage found, or null. */
    public StoreCorruptException damage() {
        return damage;
    }

    /** Records damage (the first one found wins) and returns the exception to throw. */
    private StoreCorruptException corrupt(String what) {
        StoreCorruptException found = new StoreCorruptException(damaged(dataLocation, what));
        synchronized (this) {
            if (damage == null) {
                damage = found;
                if (logDamage) {
                    LOG.severe(found.getMessage());
                }
                Path marker = root.resolve(DAMAGE_MARKER);
                try {
                    Files.writeString(marker, found.getMessage() + System.lineSeparator());
                } catch (IOException | RuntimeException e) {
                    LOG.warning("Could not write the damage marker " + marker + ": " + e);
                }
            }
            return damage;
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
            while (true) {
                AppendResult result = tryAppend(chunks);
                if (result != null) {
                    return result;
                }
            }
        } finally {
            appendLock.unlock();
        }
    }

    /** One attempt of {@link #append}; null when the store changed while it waited for the disk (try again). */
    private AppendResult tryAppend(List<Chunk> chunks) {
        {
            if (closed) { // not ensureOpen(): damage stops reads, never the appends Raft relies on
                throw new BinlogUnavailableException("The binlog store is closed");
            }
            View current = view;
            List<FileMeta> files = new ArrayList<>(current.files);
            long nextSegment = current.nextSegmentId;
            GtidList state = current.gtidState;
            List<Long> segmentKeys = new ArrayList<>();
            List<byte[]> segmentValues = new ArrayList<>();
            List<FileMeta> finishedFiles = new ArrayList<>();
            boolean anyNew = false;
            long bytes = 0;
            for (Chunk given : chunks) {
                FileMeta last = files.isEmpty() ? null : files.get(files.size() - 1);
                Chunk chunk = given;
                if (last != null && last.name.equals(chunk.file()) && chunk.startPosition() < last.endPosition
                        && chunk.endPosition() > last.endPosition) {
                    // Overlaps the held end (a member that fetched past a snapshot gets the entries after it):
                    // take the part it lacks when the held end is an event boundary of the chunk.
                    chunk = suffixFrom(chunk, last.endPosition);
                    if (chunk == null) {
                        LOG.severe("Refusing a chunk of " + given.file() + " at " + given.startPosition() + ": the"
                                + " store ends that file at " + last.endPosition + ", inside one of its events");
                        return AppendResult.REJECTED;
                    }
                }
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
                    String name = chunk.file();
                    Optional<FileMeta> older = files.stream().filter(f -> f.name.equals(name)).findFirst();
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
                    target = new FileMeta(current.firstOrdinal + files.size(), chunk.file(), chunk.startPosition(),
                            chunk.startPosition(),
                            false, null, state, nextSegment, -1);
                    files.add(target);
                }
                FileMeta updated = target;
                byte[] events = chunk.buffer();
                int end = chunk.endOffset();
                for (int offset = chunk.offset(); offset < end; ) {
                    int length = segmentLength(events, offset, end);
                    long start = chunk.startPosition() + (offset - chunk.offset());
                    updated = updated.append(start, start + length, scan, nextSegment);
                    segmentKeys.add(nextSegment);
                    segmentValues.add(encodeSegment(updated.ordinal, start, events, offset, length));
                    nextSegment++;
                    offset += length;
                }
                for (MariadbGtid gtid : scan.gtids()) {
                    state = state.with(gtid);
                }
                files.set(updated.ordinal - current.firstOrdinal, updated);
                bytes += chunk.length();
                anyNew = true;
            }
            if (!anyNew) {
                return AppendResult.DUPLICATE;
            }
            View next = new View(List.copyOf(files), current.firstOrdinal, nextSegment, state, current.version + 1);
            List<FileMeta> kept = files;
            List<byte[]> storedValues = segmentValues.stream().map(this::storedForm).toList();
            Runnable write = () -> {
                Runnable hook = beforeWrites;
                if (hook != null) {
                    hook.run();
                }
                for (int i = 0; i < segmentKeys.size(); i++) {
                    writes.put(segmentKeys.get(i), storedValues.get(i));
                }
                for (FileMeta finished : finishedFiles) {
                    writes.put(FILE_KEY_PREFIX + finished.ordinal,
                            withChecksum(kept.get(finished.ordinal - current.firstOrdinal).encode()));
                }
                // The state record is written by sync(), once these segments are forced.
            };
            if (diskShortage().isEmpty()) {
                // Raft committed these events, so readers may have them now rather than after Infinispan's write,
                // which takes two thread hand-offs per put (docs/BENCHMARKS.md, "Readers before the store's
                // write"). The write then completes under the append lock, so no other append, purge or state
                // record plans on a view whose writes are missing; sync() records only writtenView.
                for (int i = 0; i < segmentKeys.size(); i++) {
                    unwritten.put(segmentKeys.get(i), segmentValues.get(i));
                    recent.put(segmentKeys.get(i), segmentValues.get(i));
                }
                publish(next);
                try {
                    writeWhenRoom(current, write, true);
                } catch (BinlogUnavailableException e) {
                    // Closing or interrupted: take the append back (its Raft entry is applied again at the next
                    // start, with the same bytes), so that no later view names segments that were never written.
                    // A newer version than the one taken back, so readers that saw it look again.
                    for (Long key : segmentKeys) {
                        recent.invalidate(key);
                        unwritten.remove(key);
                    }
                    publish(new View(current.files, current.firstOrdinal, current.nextSegmentId, current.gtidState,
                            next.version + 1));
                    throw e;
                }
                writtenView = next;
                segmentKeys.forEach(unwritten::remove);
            } else {
                boolean written = writeWhenRoom(current, write, false);
                if (!written) {
                    return null; // re-planned from the new view: its segments may differ, so none is cached yet
                }
                for (int i = 0; i < segmentKeys.size(); i++) {
                    recent.put(segmentKeys.get(i), segmentValues.get(i));
                }
                writtenView = next;
                publish(next);
            }
            bytesAppended.addAndGet(bytes);
            appended.signalAll();
            return AppendResult.APPENDED;
        }
    }

    /** The part of {@code chunk} from {@code position} on, or null when that is not where one of its events starts. */
    private static Chunk suffixFrom(Chunk chunk, long position) {
        byte[] events = chunk.buffer();
        int end = chunk.endOffset();
        int offset = chunk.offset();
        long at = chunk.startPosition();
        while (at < position && offset < end) {
            int size = EventScan.eventSize(events, offset);
            if (size <= 0) {
                return null;
            }
            offset += size;
            at += size;
        }
        return at == position && offset <= end ? new Chunk(chunk.file(), position, events, offset, end - offset) : null;
    }

    /**
     * Drops every file before {@code firstKept}: a committed purge, applied by every node at the same
     * point of the Raft log, so all agree on the first file kept. The newest file is never dropped
     * (name it to drop everything before it).
     *
     * @return {@link AppendResult#APPENDED} when files were dropped, {@link AppendResult#DUPLICATE}
     *     when {@code firstKept} already is the first file, {@link AppendResult#REJECTED} when it is not held
     */
    public AppendResult purgeTo(String firstKept) {
        List<FileMeta> dropped;
        View next;
        appendLock.lock();
        try {
            if (closed) {
                throw new BinlogUnavailableException("The binlog store is closed");
            }
            View current = view;
            int index = -1;
            for (int i = 0; i < current.files.size(); i++) {
                if (current.files.get(i).name.equals(firstKept)) {
                    index = i;
                }
            }
            if (index < 0) {
                LOG.warning("Not purging to binlog file '" + firstKept + "': Kingbus does not hold it ("
                        + describeFiles(current) + ")");
                return AppendResult.REJECTED;
            }
            if (index == 0) {
                return AppendResult.DUPLICATE;
            }
            dropped = List.copyOf(current.files.subList(0, index));
            next = new View(List.copyOf(current.files.subList(index, current.files.size())),
                    current.firstOrdinal + index, current.nextSegmentId, current.gtidState, current.version + 1);
            View planned = next;
            if (!writeWhenRoom(current, () -> writeStateDurably(planned), false)) {
                return purgeTo(firstKept); // the store changed while waiting for the disk: plan again
            }
            writtenView = next;
            publish(next);
            appended.signalAll();
        } finally {
            appendLock.unlock();
        }
        FileMeta kept = next.files.get(0);
        LOG.info(() -> "Purged binlog files " + dropped.get(0).name + " to " + dropped.get(dropped.size() - 1).name
                + "; the first file kept is " + kept.name + ", which starts after GTID state '" + kept.startState
                + "'");
        removeInBackground(dropped);
        return AppendResult.APPENDED;
    }

    /**
     * Drops every file, the newest too, and the GTID state: for a member so far behind that the
     * cluster purged everything it holds (it then fetches the files the cluster keeps). Not a Raft
     * entry: only this node's store changes.
     */
    public void discardAll() {
        List<FileMeta> dropped;
        appendLock.lock();
        try {
            if (closed) {
                throw new BinlogUnavailableException("The binlog store is closed");
            }
            View current = view;
            if (current.files.isEmpty()) {
                return;
            }
            dropped = current.files;
            FileMeta newest = dropped.get(dropped.size() - 1);
            // The newest file's record lives in the state record: give it its own, so an interrupted removal is finished.
            View next = new View(List.of(), current.firstOrdinal + dropped.size(), current.nextSegmentId,
                    GtidList.EMPTY, current.version + 1);
            if (!writeWhenRoom(current, () -> {
                writes.put(FILE_KEY_PREFIX + newest.ordinal, withChecksum(newest.encode()));
                writeStateDurably(next);
            }, false)) {
                appendLock.unlock();
                try {
                    discardAll();
                } finally {
                    appendLock.lock();
                }
                return;
            }
            writtenView = next;
            publish(next);
            appended.signalAll();
        } finally {
            appendLock.unlock();
        }
        LOG.warning("Discarded every binlog file of this node's store (" + dropped.get(0).name + " to "
                + dropped.get(dropped.size() - 1).name + "): the cluster purged them all");
        removeInBackground(dropped);
    }

    /** Removes purged files' segments, then their records, on the remover thread. */
    private void removeInBackground(List<FileMeta> dropped) {
        try {
            remover.execute(() -> {
                for (FileMeta file : dropped) {
                    for (long id = file.firstSegment; id <= file.lastSegment; id++) {
                        if (closed) {
                            return; // the next start finishes it
                        }
                        writes.remove(id);
                        recent.invalidate(id);
                    }
                    writes.remove(FILE_KEY_PREFIX + file.ordinal);
                }
                try {
                    forceDataFiles(); // so a crash leaves no removed segment behind unreferenced
                } catch (UncheckedIOException e) {
                    LOG.warning("Removed the purged files' records but could not force the removal: " + e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the next start finishes the removal
        }
    }

    /**
     * A crash between a purge's state record and the end of its removal leaves file records below
     * the first ordinal (removed last, oldest first, so they are contiguous): remove them now.
     */
    private void finishInterruptedRemoval() {
        View current = view;
        List<FileMeta> leftOver = new ArrayList<>();
        for (int ordinal = current.firstOrdinal - 1; ordinal >= 0; ordinal--) {
            byte[] value = cache.get(FILE_KEY_PREFIX + ordinal);
            if (value == null) {
                break;
            }
            try {
                byte[] meta = checkedRecord(value, "the record of purged binlog file #" + ordinal);
                leftOver.add(0, FileMeta.decode(new DataInputStream(new ByteArrayInputStream(meta))));
            } catch (IOException | RuntimeException e) {
                LOG.warning("Cannot read the record of purged binlog file #" + ordinal + " (" + e
                        + "); its segments stay on disk unused");
                break;
            }
        }
        if (!leftOver.isEmpty()) {
            LOG.info(() -> "Finishing the removal of " + leftOver.size() + " purged binlog file(s), from "
                    + leftOver.get(0).name);
            removeInBackground(leftOver);
        }
    }

    /** Who is reading which file now: one entry per open cursor. */
    public List<ActiveReader> readers() {
        return cursors.stream().map(c -> new ActiveReader(c.reader, c.fileName)).toList();
    }

    /**
     * Bytes the store's files take on disk now (Infinispan's data and index files): with compression at rest
     * less than {@link #bytesHeld()}; more after purges until Infinispan compacts its data files.
     */
    public long diskBytes() {
        try (var walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).mapToLong(path -> {
                try {
                    return Files.size(path);
                } catch (IOException e) {
                    return 0; // removed while walking (compaction)
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** Bytes of events held in the kept files (their sizes less the 4-byte header of each whole file). */
    public long bytesHeld() {
        return view.files.stream().mapToLong(f -> f.endPosition - f.firstPosition).sum();
    }

    /**
     * Runs {@code work} (which must be safe to repeat) once there is room on the disk, and again
     * after every failure, until they succeed or the store closes. Called under the append lock.
     * Unless {@code published}, a wait releases the lock: returns false, writing nothing, when the store
     * changed from {@code planned} meanwhile (the caller plans again); true once written. The writes of an
     * append readers already see ({@code published}) are only tried again, a second apart, holding the lock:
     * nothing may plan on a view whose writes are missing, and that append cannot be planned again.
     *
     * @throws BinlogUnavailableException when the store closes (a published append: starts closing) or the thread
     *     is interrupted meanwhile
     */
    private boolean writeWhenRoom(View planned, Runnable work, boolean published) {
        boolean logged = false;
        while (true) {
            if (closed) {
                throw givenUp("The binlog store is closed");
            }
            String problem = published ? null : diskShortage().orElse(null);
            if (problem == null) {
                try {
                    work.run();
                    if (writeBlocked != null) {
                        LOG.info("Binlog appends resumed: " + usableBytes() + " bytes usable on " + root);
                        writeBlocked = null;
                    }
                    return true;
                } catch (RuntimeException e) {
                    if (closed || published && closing) {
                        throw givenUp("The binlog store is closed");
                    }
                    problem = "writing to " + root + " failed (" + e + "); retrying until it succeeds";
                }
            }
            if (!logged) {
                LOG.severe("Binlog appends are waiting: " + problem);
                logged = true;
            }
            writeBlocked = problem;
            try {
                if (published) {
                    Thread.sleep(1000);
                } else {
                    // Polled: the file system has no event for "space was freed".
                    appended.await(1, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw givenUp("Interrupted while waiting to append: " + problem);
            }
            if (!published && view != planned) {
                return false;
            }
        }
    }

    /** For tests: {@code hook} runs before each append's writes (it may block them, or throw to fail them). */
    void beforeWrites(Runnable hook) {
        beforeWrites = hook;
    }

    /** Makes {@code next} the view readers see and wakes those waiting for one. */
    private void publish(View next) {
        view = next;
        publishLock.lock();
        try {
            published.signalAll();
        } finally {
            publishLock.unlock();
        }
    }

    /**
     * Makes every append whose writes returned before this call durable: forces the data files written since the
     * last sync, then writes the state record of that view and forces it too. A crash loses only appends after
     * the last sync (see "Commit and recovery"). Cheap when nothing was appended since. Safe from any thread;
     * concurrent appends go on meanwhile: the fsyncs run outside the append lock, which only the state record's
     * write takes.
     *
     * @throws BinlogUnavailableException when the store is closed
     * @throws UncheckedIOException when a file cannot be forced or the record written (the next sync tries again)
     */
    public void sync() {
        syncLock.lock();
        try {
            View target = writtenView; // not view: its newest segments may not be written yet
            if (target.version <= durableVersion) {
                return;
            }
            forceDataFiles(); // every segment and file record of target
            appendLock.lock(); // only to order this record against a purge's: appends wait for no fsync here
            try {
                if (closed) {
                    throw new BinlogUnavailableException("The binlog store is closed");
                }
                if (target.version <= durableVersion) {
                    return; // a purge wrote a newer one meanwhile
                }
                putState(target.encodeState(stateFormat()));
            } finally {
                appendLock.unlock();
            }
            forceDataFiles();
            appendLock.lock();
            try {
                durableVersion = Math.max(durableVersion, target.version);
            } finally {
                appendLock.unlock();
            }
        } catch (RuntimeException e) {
            if (closed) {
                throw new BinlogUnavailableException("The binlog store is closed");
            }
            throw e;
        } finally {
            syncLock.unlock();
        }
    }

    /**
     * Writes {@code next}'s state record so that it names nothing that is not on disk: forces what was written
     * before it, writes it, forces it. Under the append lock.
     */
    private void writeStateDurably(View next) {
        forceDataFiles();
        putState(next.encodeState(stateFormat()));
        forceDataFiles();
        durableVersion = next.version;
    }

    /** Writes the state record, then its copy (see {@link #STATE_COPY_KEY}); the caller forces them. */
    private void putState(byte[] record) {
        writes.put(STATE_KEY, record);
        writes.put(STATE_COPY_KEY, record);
    }

    /**
     * Forces (fsync) each of the file store's data files that is new or changed size since it was last forced, and
     * their directory when a file is new. Infinispan's file store has no call for this with {@code syncWrites} off;
     * on Linux an fsync through any descriptor of a file forces all of its written pages.
     */
    private void forceDataFiles() {
        synchronized (forcedSizes) {
            Set<Path> newIn = new java.util.HashSet<>();
            Map<Path, Long> seen = new HashMap<>();
            List<Path> files;
            try (var walk = Files.walk(root.resolve("data"), 3)) { // Infinispan adds a level or two below it
                files = walk.filter(Files::isRegularFile).toList();
            } catch (IOException | UncheckedIOException e) {
                throw new UncheckedIOException("Cannot list the binlog store's data files under " + root, asIo(e));
            }
            try {
                for (Path file : files) {
                    try {
                        long size = Files.size(file);
                        Long forced = forcedSizes.get(file);
                        if (forced == null || forced != size) {
                            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                                channel.force(false);
                            }
                            if (forced == null) {
                                newIn.add(file.getParent());
                            }
                        }
                        seen.put(file, size);
                    } catch (NoSuchFileException e) {
                        // compacted away meanwhile
                    }
                }
                for (Path directory : newIn) {
                    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
                        channel.force(true);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot force the binlog store's data files under " + root, e);
            }
            forcedSizes.clear();
            forcedSizes.putAll(seen);
        }
    }

    private static IOException asIo(Exception e) {
        return e instanceof UncheckedIOException unchecked ? unchecked.getCause()
                : e instanceof IOException io ? io : new IOException(e);
    }

    /** A writer stops waiting without writing: no append waits any more, so none is reported as blocked. */
    private BinlogUnavailableException givenUp(String message) {
        writeBlocked = null;
        return new BinlogUnavailableException(message);
    }

    /**
     * Why an append would wait for disk space now: fewer than {@link #minFreeBytes(long)} bytes are usable
     * on the store's disk. Empty when there is room (or the free space cannot be read).
     */
    public Optional<String> diskShortage() {
        long usable = usableBytes();
        if (usable >= 0 && usable < minFreeBytes) {
            return Optional.of("the disk of " + root + " is full: " + usable + " bytes usable, less than the "
                    + minFreeBytes + " kept free (kingbus.store.min-free-bytes); appends wait until space is freed");
        }
        return Optional.empty();
    }

    private long usableBytes() {
        try {
            FileStore disk = fileStore;
            if (disk == null) {
                // Resolved once: the JDK reads the whole mount table to find it, which every append paid for.
                disk = Files.getFileStore(root);
                fileStore = disk;
            }
            return disk.getUsableSpace(); // one statvfs
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Segments appended from now on are compressed with zstd at {@code level} (1-22), or kept as they are
     * with 0 ({@code kingbus.store.compression}). Segments already stored are read either way, so the setting
     * may change between restarts.
     */
    public BinlogStore zstdLevel(int level) {
        if (level != 0 && (level < SegmentCompression.MIN_LEVEL || level > SegmentCompression.MAX_LEVEL)) {
            throw new IllegalArgumentException("zstd level " + level + " is not 0 (off) or 1-22");
        }
        if (level != 0) {
            SegmentCompression.requireAvailable();
            mayHoldCompressed = true;
        }
        this.zstdLevel = level;
        return this;
    }

    /** Appends wait while fewer than {@code bytes} are usable on the store's disk (0: never). */
    public BinlogStore minFreeBytes(long bytes) {
        this.minFreeBytes = bytes;
        return this;
    }

    /** Why an append is waiting now (disk full, failing writes), if one is. */
    public Optional<String> writeBlocked() {
        return Optional.ofNullable(writeBlocked);
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
        publishLock.lock();
        try {
            while (view.version <= seenVersion && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                published.awaitNanos(left);
            }
            return view.version > seenVersion;
        } finally {
            publishLock.unlock();
        }
    }

    /**
     * The event that opens {@code file}, at position 4 (its FORMAT_DESCRIPTION_EVENT), when the store holds it: a
     * copy, empty when the file is not held from its start.
     */
    public Optional<byte[]> fileStart(String file) {
        try (EventCursor cursor = open(file, 4, "the check of the master's binlog")) {
            StoredEvent first = cursor.next();
            return first == null ? Optional.empty() : Optional.of(first.bytes());
        } catch (BinlogUnavailableException e) {
            return Optional.empty();
        }
    }

    @Override
    public EventCursor open(String file, long position) {
        return open(file, position, "an unnamed reader");
    }

    @Override
    public EventCursor open(String file, long position, String reader) {
        ensureOpen();
        View current = view;
        FileMeta meta = current.files.stream().filter(f -> f.name.equals(file)).findFirst()
                .orElseThrow(() -> new BinlogUnavailableException("Could not find binlog file '" + file
                        + "': Kingbus holds " + describeFiles(current)));
        if (position == meta.endPosition) {
            return new Cursor(meta.lastSegment < 0 ? meta.firstSegment : meta.lastSegment + 1, 0, meta.name, reader);
        }
        if (position < meta.firstPosition || position > meta.endPosition) {
            throw new BinlogUnavailableException("Position " + position + " is outside binlog file '" + file
                    + "', which Kingbus holds from " + meta.firstPosition + " to " + meta.endPosition);
        }
        long low = segmentHolding(meta, position);
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
        return new Cursor(low, offset, meta.name, reader);
    }

    /** The last segment of {@code file} that starts at or before {@code position}. */
    private long segmentHolding(FileMeta file, long position) {
        long low = file.firstSegment;
        long high = file.lastSegment;
        while (low < high) {
            long mid = (low + high + 1) >>> 1;
            if (readSegment(mid).startPosition <= position) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /** The format of the state record on disk (-1: none yet); for tests in this package. */
    int storedStateFormat() {
        byte[] state = cache.get(STATE_KEY);
        return state == null ? -1 : java.nio.ByteBuffer.wrap(state).getInt();
    }

    /** How many segments hold {@code file} (0 when it is not held); for tests in this package. */
    long segmentsOf(String file) {
        for (FileMeta meta : view.files) {
            if (meta.name.equals(file)) {
                return meta.lastSegment < 0 ? 0 : meta.lastSegment - meta.firstSegment + 1;
            }
        }
        return 0;
    }

    private Segment readSegment(long id) {
        byte[] value = recent.getIfPresent(id);
        if (value == null) {
            value = unwritten.get(id);
        }
        if (value != null) {
            StoreCorruptException known = damage;
            if (known != null) {
                throw known;
            }
            return Segment.decode(id, value); // checked when it was written or first read
        }
        Segment segment = readStoredSegment(id);
        recent.put(id, segment.bytes());
        return segment;
    }

    /** A segment from Infinispan (its container or its file store), checked; not kept in {@link #recent}. */
    private Segment readStoredSegment(long id) {
        StoreCorruptException known = damage;
        if (known != null) {
            throw known;
        }
        byte[] value;
        try {
            value = cache.get(id);
        } catch (RuntimeException e) {
            // An interrupted or failed read (shutdown, I/O trouble) is not proof of damage.
            throw new BinlogUnavailableException(closed ? "The binlog store is closed"
                    : "Binlog segment " + id + " could not be read: " + e);
        }
        if (value == null) {
            if (closed || !cache.getStatus().allowInvocations()) {
                // Infinispan answers "no such key" while it stops (by close(), which sets closed first, or by its
                // own shutdown hook): not damage. Marking it would make every later start refuse the store (seen
                // when a node stopped during its check of the older segments).
                throw new BinlogUnavailableException("The binlog store is closed");
            }
            if (id >= writtenView.nextSegmentId) {
                // Published, then taken back before its write returned (see tryAppend): not damage.
                throw new BinlogUnavailableException("Binlog segment " + id + " is not written yet");
            }
            if (id < view.firstKeptSegment()) {
                throw new BinlogPurgedException("The binlog file being read was purged (Kingbus now holds "
                        + describeFiles(view) + ")");
            }
            throw corrupt("segment " + id + " " + describeSegment(id) + " is missing");
        }
        if (value.length < Segment.HEADER_LENGTH || Segment.storedChecksum(value) != Segment.checksum(value)) {
            throw corrupt("segment " + id + " " + describeSegment(id) + " fails its checksum");
        }
        if (SegmentCompression.isCompressed(value)) {
            try {
                value = SegmentCompression.decompress(value, Segment.HEADER_LENGTH);
            } catch (StoreCorruptException e) {
                throw corrupt("segment " + id + " " + describeSegment(id) + " passes its checksum but "
                        + e.getMessage());
            }
        }
        return Segment.decode(id, value);
    }

    /** Which binlog file and positions a segment holds, from the file records. */
    private String describeSegment(long id) {
        for (FileMeta file : view.files) {
            if (file.lastSegment >= 0 && id >= file.firstSegment && id <= file.lastSegment) {
                return "(binlog file '" + file.name + "', somewhere from " + file.firstPosition + " to "
                        + file.endPosition + ")";
            }
        }
        return "(no binlog file claims it)";
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
        StoreCorruptException known = damage;
        if (known != null) {
            throw known;
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            if (!closed) {
                sync();
            }
        } catch (RuntimeException e) {
            LOG.warning("Closing the binlog store without its last sync (" + e + "): the Raft log applies the appends"
                    + " since the previous one again at the next start");
        }
        appendLock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            appendLock.unlock();
        }
        publishLock.lock();
        try {
            published.signalAll();
        } finally {
            publishLock.unlock();
        }
        remover.shutdownNow();
        try {
            remover.awaitTermination(5, TimeUnit.SECONDS); // it stops between removals once closed is set
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        manager.stop();
        LOG.info("Binlog store closed");
    }

    // ---------------------------------------------------------------- cursor

    /** Walks segments in id order; one per dump session, not thread-safe (except its reader and file name). */
    private final class Cursor implements EventCursor {
        private final String reader;
        private long segmentId;
        private int offset;
        private Segment loaded;
        /** The file this cursor is in, for {@link #readers()}. */
        private volatile String fileName;

        Cursor(long segmentId, int offset, String fileName, String reader) {
            this.segmentId = segmentId;
            this.offset = offset;
            this.fileName = fileName;
            this.reader = reader;
            cursors.add(this);
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
                    FileMeta file = current.fileAt(loaded.fileOrdinal);
                    if (file == null) {
                        throw new BinlogPurgedException("The binlog file being read was purged (Kingbus now holds "
                                + describeFiles(current) + ")");
                    }
                    fileName = file.name;
                }
                if (offset >= loaded.eventsLength()) {
                    segmentId++;
                    offset = 0;
                    continue;
                }
                int start = Segment.HEADER_LENGTH + offset;
                int size = EventScan.eventSize(loaded.bytes, start);
                // a slice of the segment, which is shared (recent segments) and never modified: no copy per event
                StoredEvent stored = new StoredEvent(fileName, loaded.startPosition + offset, loaded.bytes, start,
                        size);
                offset += size;
                return stored;
            }
        }

        @Override
        public void close() {
            loaded = null;
            cursors.remove(this);
        }
    }

    // ---------------------------------------------------------------- records

    /**
     * The length of the segment that starts at {@code offset} of a chunk's (valid) events: whole events
     * up to {@link #SEGMENT_BYTES}, or one event when that alone is larger. A chunk is a whole Raft entry,
     * a whole transaction when that is larger than an entry: split, no segment is a 10 MB value for
     * Infinispan to marshal (with 10 MB transactions that ran a 512 MiB heap out).
     */
    private static int segmentLength(byte[] events, int offset, int end) {
        int length = 0;
        while (offset + length < end) {
            int size = EventScan.eventSize(events, offset + length);
            if (length > 0 && length + size > SEGMENT_BYTES) {
                break;
            }
            length += size;
        }
        return length;
    }

    private static byte[] encodeSegment(int fileOrdinal, long startPosition, byte[] events, int offset, int length) {
        byte[] value = new byte[Segment.HEADER_LENGTH + length];
        java.nio.ByteBuffer.wrap(value).putInt(fileOrdinal).putLong(startPosition).putInt(0)
                .put(events, offset, length);
        java.nio.ByteBuffer.wrap(value).putInt(Segment.CHECKSUM_OFFSET, Segment.checksum(value));
        return value;
    }

    /**
     * How a plain segment is written: compressed with zstd when {@link #zstdLevel} is set and that makes it
     * smaller (see {@link SegmentCompression}), else as it is.
     */
    private byte[] storedForm(byte[] plain) {
        int level = zstdLevel;
        if (level == 0) {
            return plain;
        }
        byte[] stored;
        try {
            stored = SegmentCompression.compress(plain, Segment.HEADER_LENGTH, level);
        } catch (IllegalStateException e) {
            // Compression is optional: a committed entry is never held up by it.
            if (!compressionFailureLogged) {
                compressionFailureLogged = true;
                LOG.warning("Storing binlog segments uncompressed: " + e.getMessage());
            }
            return plain;
        }
        if (stored != plain) {
            java.nio.ByteBuffer.wrap(stored).putInt(Segment.CHECKSUM_OFFSET, Segment.checksum(stored));
        }
        return stored;
    }

    /** The format of the state record to write (see {@link #STATE_FORMAT_VERSION}). */
    private int stateFormat() {
        return mayHoldCompressed ? STATE_FORMAT_VERSION : PLAIN_STATE_FORMAT;
    }

    /** A record's bytes followed by the CRC-32C of them. */
    private static byte[] withChecksum(byte[] record) {
        CRC32C crc = new CRC32C();
        crc.update(record);
        return java.nio.ByteBuffer.allocate(record.length + Integer.BYTES).put(record).putInt((int) crc.getValue())
                .array();
    }

    /** The record inside {@code value} when its trailing CRC-32C holds; otherwise a description of what is wrong. */
    private static byte[] checkedRecord(byte[] value, String what) {
        if (value.length < Integer.BYTES) {
            throw new StoreCorruptException(what + " is truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(value, 0, value.length - Integer.BYTES);
        if ((int) crc.getValue() != java.nio.ByteBuffer.wrap(value).getInt(value.length - Integer.BYTES)) {
            throw new StoreCorruptException(what + " fails its checksum");
        }
        return java.util.Arrays.copyOf(value, value.length - Integer.BYTES);
    }

    private record Segment(long id, int fileOrdinal, long startPosition, byte[] bytes) {
        static final int CHECKSUM_OFFSET = Integer.BYTES + Long.BYTES;
        static final int HEADER_LENGTH = CHECKSUM_OFFSET + Integer.BYTES;

        static Segment decode(long id, byte[] value) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(value);
            return new Segment(id, buffer.getInt(), buffer.getLong(), value);
        }

        static int storedChecksum(byte[] value) {
            return java.nio.ByteBuffer.wrap(value).getInt(CHECKSUM_OFFSET);
        }

        /** CRC-32C of the whole value except its checksum field. */
        static int checksum(byte[] value) {
            CRC32C crc = new CRC32C();
            crc.update(value, 0, CHECKSUM_OFFSET);
            crc.update(value, HEADER_LENGTH, value.length - HEADER_LENGTH);
            return (int) crc.getValue();
        }

        int eventsLength() {
            return bytes.length - HEADER_LENGTH;
        }
    }

    /** The published, immutable state readers work from. */
    private record View(List<FileMeta> files, int firstOrdinal, long nextSegmentId, GtidList gtidState, long version) {

        /** The kept file with that ordinal, or null when it was purged. */
        FileMeta fileAt(int ordinal) {
            return ordinal < firstOrdinal ? null : files.get(ordinal - firstOrdinal);
        }

        /** Segments below this id belong to purged files. */
        long firstKeptSegment() {
            return files.isEmpty() ? nextSegmentId : files.get(0).firstSegment;
        }

        byte[] encodeState(int format) {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeInt(format);
                out.writeLong(nextSegmentId);
                out.writeUTF(gtidState.toString());
                out.writeInt(firstOrdinal + files.size());
                out.writeInt(firstOrdinal);
                if (!files.isEmpty()) {
                    out.write(files.get(files.size() - 1).encode());
                }
                return withChecksum(bytes.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The view a state record ({@code stored}, null when there is none yet) and the file records describe. */
    private static View load(Cache<Object, byte[]> cache, byte[] stored) throws IOException {
        if (stored == null) {
            return new View(List.of(), 0, 0, GtidList.EMPTY, 0);
        }
        if (stored.length >= Integer.BYTES && java.nio.ByteBuffer.wrap(stored).getInt() < OLDEST_READABLE_FORMAT) {
            throw new StoreFormatException("The binlog store was written in format "
                    + java.nio.ByteBuffer.wrap(stored).getInt() + " by an older Kingbus; this one reads format "
                    + STATE_FORMAT_VERSION + " only (there is no migration before the first release): move this"
                    + " node's data dir aside to fetch the binlog again from the cluster");
        }
        byte[] state = checkedRecord(stored, "the state record");
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
            int format = in.readInt();
            if (format < OLDEST_READABLE_FORMAT || format > STATE_FORMAT_VERSION) {
                throw new StoreCorruptException("the state record has format " + format + ", expected "
                        + OLDEST_READABLE_FORMAT + " to " + STATE_FORMAT_VERSION);
            }
            long nextSegment = in.readLong();
            GtidList gtids = GtidList.parse(in.readUTF());
            int fileCount = in.readInt();
            int firstOrdinal = format >= 3 ? in.readInt() : 0;
            if (firstOrdinal < 0 || firstOrdinal > fileCount) {
                throw new StoreCorruptException("the state record keeps files from #" + firstOrdinal + " of "
                        + fileCount);
            }
            List<FileMeta> files = new ArrayList<>(fileCount - firstOrdinal);
            for (int ordinal = firstOrdinal; ordinal < fileCount - 1; ordinal++) {
                byte[] meta = cache.get(FILE_KEY_PREFIX + ordinal);
                if (meta == null) {
                    throw new StoreCorruptException("the record of binlog file #" + ordinal + " is missing");
                }
                meta = checkedRecord(meta, "the record of binlog file #" + ordinal);
                files.add(FileMeta.decode(new DataInputStream(new ByteArrayInputStream(meta))));
            }
            if (fileCount > firstOrdinal) {
                files.add(FileMeta.decode(in));
            }
            return new View(List.copyOf(files), firstOrdinal, nextSegment, gtids, 1);
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptException("the state record cannot be read: " + e.getMessage(), e);
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

        /** This file with one more segment, {@code [start, end)}, of a chunk that {@code scan} describes. */
        FileMeta append(long start, long end, EventScan scan, long segmentId) {
            byte[] fde = formatDescription;
            if (fde == null && start == BinlogFile.BIN_LOG_HEADER_SIZE) {
                fde = scan.formatDescription();
            }
            GtidList stateAtStart = startState;
            if (lastSegment < 0 && scan.gtidListAtStart() != null) {
                stateAtStart = scan.gtidListAtStart();
            }
            return new FileMeta(ordinal, name, firstPosition, end, rotated || scan.rotates(), fde,
                    stateAtStart, firstSegment, segmentId);
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
