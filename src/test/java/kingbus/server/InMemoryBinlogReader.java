package kingbus.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.LogEvent;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogReader;
import kingbus.store.BinlogUnavailableException;
import kingbus.store.EventCursor;
import kingbus.store.StoredEvent;

/**
 * A {@link BinlogReader} over events held in memory, for server tests: events are appended whole,
 * in master order; a ROTATE ends its file and the next appended event starts the file it names.
 *
 * <p>Thread-safe (one lock; readers wait on a condition).
 */
final class InMemoryBinlogReader implements BinlogReader {

    private static final class HeldFile {
        final String name;
        final long firstPosition;
        final List<StoredEvent> events = new ArrayList<>();
        byte[] fde;
        GtidList startState;
        boolean rotated;
        long end;

        HeldFile(String name, long firstPosition, GtidList startState) {
            this.name = name;
            this.firstPosition = firstPosition;
            this.end = firstPosition;
            this.startState = startState;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition committed = lock.newCondition();
    private final List<HeldFile> files = new ArrayList<>();
    private GtidList state = GtidList.EMPTY;
    private String nextFile;
    private long version;

    InMemoryBinlogReader(String firstFile) {
        this.nextFile = firstFile;
    }

    /** Sets the GTID state before the first event appended (the store starts after a purge). */
    void startWith(GtidList startState) {
        lock.lock();
        try {
            state = startState;
        } finally {
            lock.unlock();
        }
    }

    /** Appends one whole event (raw bytes as the master wrote it) and commits it. */
    void append(byte[] event) {
        lock.lock();
        try {
            HeldFile file = files.isEmpty() ? null : files.get(files.size() - 1);
            if (file == null || file.rotated) {
                file = new HeldFile(nextFile, BinlogFile.BIN_LOG_HEADER_SIZE, state);
                files.add(file);
            }
            long position = file.end;
            if (LogEvent.logPos(event) != position + event.length) {
                throw new IllegalArgumentException("event ends at " + LogEvent.logPos(event) + ", expected "
                        + (position + event.length) + " in " + file.name);
            }
            file.events.add(new StoredEvent(file.name, position, event));
            file.end = position + event.length;
            switch (LogEvent.type(event)) {
                case LogEvent.FORMAT_DESCRIPTION_EVENT -> file.fde = event;
                case LogEvent.GTID_EVENT -> state = state.with(new MariadbGtid(LogEvent.gtidDomain(event),
                        LogEvent.serverId(event), LogEvent.gtidSequence(event)));
                case LogEvent.ROTATE_EVENT -> {
                    file.rotated = true;
                    boolean crc = file.fde != null
                            && LogEvent.checksumAlgorithm(file.fde) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
                    nextFile = LogEvent.rotateFile(event, crc);
                }
                default -> { }
            }
            version++;
            committed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void appendAll(List<byte[]> events) {
        events.forEach(this::append);
    }

    @Override
    public List<BinlogFile> files() {
        lock.lock();
        try {
            return files.stream().map(InMemoryBinlogReader::view).toList();
        } finally {
            lock.unlock();
        }
    }

    private static BinlogFile view(HeldFile f) {
        return new BinlogFile(f.name, f.firstPosition, f.end, f.rotated, f.fde, f.startState);
    }

    @Override
    public Optional<BinlogFile> file(String name) {
        return files().stream().filter(f -> f.name().equals(name)).findFirst();
    }

    @Override
    public GtidList gtidState() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public EventCursor open(String file, long position) {
        lock.lock();
        try {
            for (int i = 0; i < files.size(); i++) {
                HeldFile f = files.get(i);
                if (!f.name.equals(file)) {
                    continue;
                }
                if (position == f.end) {
                    return new Cursor(i, f.events.size());
                }
                for (int e = 0; e < f.events.size(); e++) {
                    if (f.events.get(e).position() == position) {
                        return new Cursor(i, e);
                    }
                }
                throw new BinlogUnavailableException("Position " + position + " in '" + file
                        + "' is not the start of an event");
            }
            throw new BinlogUnavailableException("Kingbus does not hold binlog file '" + file + "'");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long commitVersion() {
        lock.lock();
        try {
            return version;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean awaitCommit(long seenVersion, long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (version <= seenVersion) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = committed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private final class Cursor implements EventCursor {
        private int file;
        private int index;

        Cursor(int file, int index) {
            this.file = file;
            this.index = index;
        }

        @Override
        public StoredEvent next() {
            lock.lock();
            try {
                while (true) {
                    HeldFile f = files.get(file);
                    if (index < f.events.size()) {
                        return f.events.get(index++);
                    }
                    if (file + 1 < files.size()) {
                        file++;
                        index = 0;
                        continue;
                    }
                    return null;
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {}
    }

    // ---------------------------------------------------------------- fixtures

    /**
     * The file events of the first TCP stream of a transcript, in order (artificial events and
     * heartbeats left out), without the OK byte.
     */
    static List<byte[]> transcriptFileEvents(List<String> lines) {
        List<byte[]> events = new ArrayList<>();
        for (int i = firstDumpStream(lines); i < lines.size() - 1; i++) {
            String line = lines.get(i);
            if (line.startsWith("--- stream")) {
                break;
            }
            if (!line.contains("<S EVENT") || line.contains("ARTIFICIAL") || line.contains("HEARTBEAT")
                    || line.contains(" log_pos=0 ")) {
                continue;
            }
            events.add(HexFormat.of().parseHex(lines.get(i + 1).trim().substring("hex: 00".length())));
        }
        return events;
    }

    /** Every artificial and file event of the first TCP stream, in order, without the OK byte. */
    static List<byte[]> transcriptStream(List<String> lines) {
        List<byte[]> events = new ArrayList<>();
        for (int i = firstDumpStream(lines); i < lines.size() - 1; i++) {
            String line = lines.get(i);
            if (line.startsWith("--- stream")) {
                break;
            }
            if (line.contains("<S EVENT")) {
                events.add(HexFormat.of().parseHex(lines.get(i + 1).trim().substring("hex: 00".length())));
            }
        }
        return events;
    }

    /** The line where the first TCP stream with a COM_BINLOG_DUMP begins. */
    private static int firstDumpStream(List<String> lines) {
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("=== TCP stream")) {
                start = i;
            } else if (lines.get(i).contains("C> COM_BINLOG_DUMP")) {
                return start;
            }
        }
        throw new IllegalArgumentException("no COM_BINLOG_DUMP in the transcript");
    }

    static String describe(byte[] event) {
        return "type " + LogEvent.type(event) + " log_pos " + LogEvent.logPos(event) + " size " + event.length + ": "
                + HexFormat.of().formatHex(Arrays.copyOf(event, Math.min(event.length, 24)))
                + new String(new byte[0], StandardCharsets.US_ASCII);
    }
}
