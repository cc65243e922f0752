package kingbus.syncer;

import java.util.Arrays;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;

/**
 * Binlog files of Kingbus's own, for a master whose binlog is not the one held: a replica promoted in the failed
 * master's place holds every transaction Kingbus holds, but in files of its own, under other names and positions.
 * Its events go on in files Kingbus names after the newest one held ({@code mysql-bin.000005} after
 * {@code mysql-bin.000004}), so that replicas reading by file and position cross from the old master's files into
 * them with a ROTATE, as from one file of a master to its next.
 *
 * <p>What is written: each file opens with the master's FORMAT_DESCRIPTION_EVENT marked as Kingbus's (its server
 * id) and a GTID_LIST_EVENT of the GTID state there; then the master's events byte for byte but for log_pos (the
 * position in Kingbus's file) and their CRC32, recomputed; a master's ROTATE becomes Kingbus's ROTATE to its next
 * file. The master's own GTID_LIST, BINLOG_CHECKPOINT (they describe its files) and START_ENCRYPTION (the master
 * sends its events decrypted) are left out. A file goes on after a reconnect while the master's format stays the
 * same, so a master that is reconnected to does not start a file each time. Transactions are told apart by GTID,
 * not by position: one already held is refused.
 *
 * <p>Not thread-safe: one per upstream session, on the connector's thread.
 */
final class OwnBinlog {

    /** Takes one event placed at {@code position} of Kingbus's file {@code file}. */
    @FunctionalInterface
    interface Sink {
        void add(String file, long position, byte[] event, boolean hasChecksum);
    }

    private final long serverId;
    private final Sink sink;
    /** Every domain's newest GTID held or handed on. */
    private GtidList state;
    /** Kingbus's file being written, or the newest file held before the first own one. */
    private String file;
    private long position;
    /** True when {@link #file} takes no more events: the master's next FORMAT_DESCRIPTION_EVENT opens a new one. */
    private boolean ended;
    /** The FORMAT_DESCRIPTION_EVENT of {@link #file} as written, or null before the first own file. */
    private byte[] formatDescription;

    private OwnBinlog(long serverId, Sink sink, GtidList state, String file, long position, boolean ended,
            byte[] formatDescription) {
        this.serverId = serverId;
        this.sink = sink;
        this.state = state;
        this.file = file;
        this.position = position;
        this.ended = ended;
        this.formatDescription = formatDescription;
    }

    /** Own files from the one after {@code newestHeld}, a file of another master's binlog. */
    static OwnBinlog after(String newestHeld, GtidList held, long serverId, Sink sink) {
        return new OwnBinlog(serverId, sink, held, newestHeld, 0, true, null);
    }

    /**
     * Goes on in {@code file}, an own file held up to {@code position} that opens with {@code formatDescription}
     * and has ended when {@code ended}.
     */
    static OwnBinlog resume(String file, long position, boolean ended, byte[] formatDescription, GtidList held,
            long serverId, Sink sink) {
        return new OwnBinlog(serverId, sink, held, file, position, ended, formatDescription);
    }

    /** True when {@code formatDescription} opens a file of Kingbus's own, written by a server with {@code serverId}. */
    static boolean isOwn(byte[] formatDescription, long serverId) {
        return formatDescription != null && serverId >= 0 && LogEvent.serverId(formatDescription) == serverId;
    }

    /** The file that follows {@code file}: its number plus one, as wide as before ({@code .000009} → {@code .000010}). */
    static String nextFileName(String file) {
        int dot = file.lastIndexOf('.');
        String digits = dot < 0 ? "" : file.substring(dot + 1);
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            return file + ".000001";
        }
        String next = Long.toString(Long.parseLong(digits) + 1);
        String padded = "0".repeat(Math.max(0, digits.length() - next.length())) + next;
        return file.substring(0, dot + 1) + padded;
    }

    /** The own file written to (or the newest held before the first). */
    String file() {
        return file;
    }

    /** Places one event of the master's stream (not an artificial one), whose CRC32 was checked when it has one. */
    void accept(byte[] event, boolean checksums) {
        int type = LogEvent.type(event);
        switch (type) {
            case LogEvent.FORMAT_DESCRIPTION_EVENT -> formatDescription(event);
            case LogEvent.GTID_LIST_EVENT, LogEvent.BINLOG_CHECKPOINT_EVENT, LogEvent.START_ENCRYPTION_EVENT -> {
                // The master's description of its own files; each own file has a GTID_LIST of its own.
            }
            case LogEvent.ROTATE_EVENT -> {
                openFileFor(event);
                byte[] rotate = Events.rotate(serverId, LogEvent.uint32(event, LogEvent.TIMESTAMP_OFFSET), 0,
                        nextFileName(file), checksums);
                write(rotate, checksums);
                ended = true;
            }
            default -> {
                openFileFor(event);
                if (type == LogEvent.GTID_EVENT) {
                    MariadbGtid gtid = new MariadbGtid(LogEvent.gtidDomain(event), LogEvent.serverId(event),
                            LogEvent.gtidSequence(event));
                    MariadbGtid newest = state.lastInDomain(gtid.domainId()).orElse(null);
                    if (newest != null && Long.compareUnsigned(gtid.sequence(), newest.sequence()) <= 0) {
                        throw new IllegalStateException("The master sent transaction " + gtid + ", but Kingbus"
                                + " already holds " + newest + " of that domain: refusing it");
                    }
                    state = state.with(gtid).perDomain();
                }
                write(event, checksums);
                if (type == LogEvent.STOP_EVENT) {
                    ended = true;
                }
            }
        }
    }

    private void openFileFor(byte[] event) {
        if (formatDescription == null || ended) {
            throw new IllegalStateException("The master sent a " + LogEvent.type(event) + " event before the"
                    + " FORMAT_DESCRIPTION_EVENT of its file");
        }
    }

    private void formatDescription(byte[] fde) {
        if (formatDescription != null && !ended && sameFormat(formatDescription, fde)) {
            return; // the master's file (or its next one, in the same format) goes on in this own file
        }
        boolean checksums = LogEvent.checksumAlgorithm(fde) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
        if (formatDescription != null && !ended) {
            boolean before = LogEvent.checksumAlgorithm(formatDescription) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
            write(Events.rotate(serverId, LogEvent.uint32(fde, LogEvent.TIMESTAMP_OFFSET), 0, nextFileName(file),
                    before), before);
        }
        file = nextFileName(file);
        position = LogEvent.BIN_LOG_HEADER_SIZE;
        ended = false;
        byte[] own = Events.moved(fde, position + fde.length, serverId, EventChecksum.matches(fde));
        formatDescription = own;
        sink.add(file, position, own, checksums);
        position += own.length;
        write(Events.gtidList(serverId, LogEvent.uint32(fde, LogEvent.TIMESTAMP_OFFSET), 0, state, checksums),
                checksums);
    }

    private void write(byte[] event, boolean checksums) {
        byte[] placed = Events.moved(event, position + event.length, -1, checksums);
        sink.add(file, position, placed, checksums);
        position += placed.length;
    }

    /**
     * True when two FORMAT_DESCRIPTION_EVENTs describe events alike: the same binlog and server versions, header
     * lengths and checksum algorithm. Their time, server id, created time and flags may differ.
     */
    static boolean sameFormat(byte[] a, byte[] b) {
        int versionsEnd = LogEvent.FDE_CREATED_OFFSET;
        int rest = versionsEnd + 4;
        int aEnd = a.length - LogEvent.BINLOG_CHECKSUM_LEN;
        int bEnd = b.length - LogEvent.BINLOG_CHECKSUM_LEN;
        return a.length == b.length && a.length > rest
                && Arrays.equals(a, LogEvent.LOG_EVENT_HEADER_LEN, versionsEnd, b, LogEvent.LOG_EVENT_HEADER_LEN,
                        versionsEnd)
                && Arrays.equals(a, rest, aEnd, b, rest, bEnd);
    }
}
