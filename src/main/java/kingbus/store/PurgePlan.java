package kingbus.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Which binlog files a purge drops, decided the way a MariaDB master decides for its own binlogs:
 * whole files from the oldest on, never the newest (active) file, and never a file a connected
 * reader is in nor anything after it (MariaDB's {@code ER_WARN_PURGE_LOG_IN_USE}: the purge stops
 * there, the older files go).
 *
 * <p>A file's time is when the master closed it: the timestamp of the next file's
 * FORMAT_DESCRIPTION event, which the master writes when it opens that file (MariaDB compares the
 * file's modification time, which is the same moment). A file whose successor is not held from its
 * start has no known time and stops a purge by age.
 *
 * <p>Immutable and thread-safe; the planning functions are pure.
 *
 * @param firstKept the file that becomes the first one, empty when nothing is to be dropped
 * @param purged how many files the plan drops
 * @param wanted how many files the request asked to drop (more than {@code purged} when held back)
 * @param heldBackBy readers in the file the purge stopped at (empty when not held back)
 */
public record PurgePlan(Optional<String> firstKept, int purged, int wanted, List<ActiveReader> heldBackBy) {

    /** The offset of the 4-byte little-endian timestamp in an event header. */
    private static final int TIMESTAMP_OFFSET = 0;

    /** True when readers stopped the purge short of what was asked. */
    public boolean heldBack() {
        return !heldBackBy.isEmpty();
    }

    /**
     * MariaDB's {@code ER_WARN_PURGE_LOG_IN_USE} text for a held-back purge, naming the readers, or
     * empty when the purge was not held back.
     */
    public Optional<String> heldBackMessage() {
        if (!heldBack()) {
            return Optional.empty();
        }
        String file = heldBackBy.get(0).file();
        StringBuilder who = new StringBuilder();
        for (ActiveReader reader : heldBackBy) {
            who.append(who.length() == 0 ? "" : "; ").append(reader.reader());
        }
        return Optional.of("file " + file + " was not purged because it was being read by " + heldBackBy.size()
                + " thread(s), purged only " + purged + " out of " + wanted + " files (read by: " + who + ")");
    }

    /** Plans an operator's request. */
    public static PurgePlan of(List<BinlogFile> files, PurgeRequest request, List<ActiveReader> readers) {
        if (request instanceof PurgeRequest.To to) {
            return to(files, to.file(), readers);
        }
        return before(files, ((PurgeRequest.Before) request).time(), readers);
    }

    /** {@code PURGE BINARY LOGS TO 'name'}: drop every file before {@code name}. */
    public static PurgePlan to(List<BinlogFile> files, String name, List<ActiveReader> readers) {
        int index = indexOf(files, name);
        if (index < 0) {
            throw new IllegalArgumentException("Target log not found in binlog index: Kingbus holds no binlog file '"
                    + name + "'" + (files.isEmpty() ? "" : " (it holds " + files.get(0).name() + " to "
                    + files.get(files.size() - 1).name() + ")"));
        }
        return clamp(files, index, readers);
    }

    /** {@code PURGE BINARY LOGS BEFORE 'time'}: drop the files closed before {@code time}. */
    public static PurgePlan before(List<BinlogFile> files, Instant time, List<ActiveReader> readers) {
        int index = 0;
        while (index < files.size() - 1) {
            Optional<Instant> closed = closedAt(files, index);
            if (closed.isEmpty() || !closed.get().isBefore(time)) {
                break;
            }
            index++;
        }
        return clamp(files, index, readers);
    }

    /**
     * Retention from config: drop the oldest files while the kept ones add up to more than
     * {@code maxBytes} (0 = no size limit), and the files closed longer than {@code maxAge} ago
     * (zero = no age limit).
     */
    public static PurgePlan retention(List<BinlogFile> files, long maxBytes, Duration maxAge, Instant now,
            List<ActiveReader> readers) {
        int bySize = 0;
        if (maxBytes > 0) {
            long held = files.stream().mapToLong(f -> f.endPosition() - f.firstPosition()).sum();
            while (bySize < files.size() - 1 && held > maxBytes) {
                BinlogFile oldest = files.get(bySize);
                held -= oldest.endPosition() - oldest.firstPosition();
                bySize++;
            }
        }
        int byAge = maxAge.isZero() ? 0 : before(files, now.minus(maxAge), List.of()).purged;
        return clamp(files, Math.max(bySize, byAge), readers);
    }

    /** When the master closed file {@code index}: its successor's FORMAT_DESCRIPTION timestamp. */
    static Optional<Instant> closedAt(List<BinlogFile> files, int index) {
        if (index + 1 >= files.size()) {
            return Optional.empty();
        }
        byte[] fde = files.get(index + 1).formatDescription();
        if (fde == null || fde.length < TIMESTAMP_OFFSET + Integer.BYTES) {
            return Optional.empty();
        }
        long seconds = Integer.toUnsignedLong(ByteBuffer.wrap(fde).order(ByteOrder.LITTLE_ENDIAN)
                .getInt(TIMESTAMP_OFFSET));
        return Optional.of(Instant.ofEpochSecond(seconds));
    }

    /** Keeps files from {@code wantedFirst} on, or from the first file a reader is in if that is older. */
    private static PurgePlan clamp(List<BinlogFile> files, int wantedFirst, List<ActiveReader> readers) {
        int first = wantedFirst;
        List<ActiveReader> holding = List.of();
        for (int i = 0; i < wantedFirst; i++) {
            String name = files.get(i).name();
            List<ActiveReader> inFile = readers.stream().filter(r -> r.file().equals(name)).toList();
            if (!inFile.isEmpty()) {
                first = i;
                holding = inFile;
                break;
            }
        }
        Optional<String> kept = first == 0 ? Optional.empty() : Optional.of(files.get(first).name());
        return new PurgePlan(kept, first, wantedFirst, holding);
    }

    private static int indexOf(List<BinlogFile> files, String name) {
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
