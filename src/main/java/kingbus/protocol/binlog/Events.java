package kingbus.protocol.binlog;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;

/**
 * Builds the events a master makes up for a stream (fake ROTATE, HEARTBEAT, artificial GTID_LIST)
 * and rewrites a file's FORMAT_DESCRIPTION for the start of a stream, byte for byte as MariaDB
 * 10.11 does (see ../shared/fixtures/mariadb-10.11-protocol/).
 *
 * <p>Stateless and thread-safe.
 */
public final class Events {

    /** ROTATE body: position int<8>, then the file name (string<EOF>). */
    static final int ROTATE_POSITION_LEN = 8;
    /** GTID_LIST body: count int<4> (low 28 bits; high 4 bits are flags), then the entries. */
    static final int GTID_LIST_COUNT_LEN = 4;
    /** GTID_LIST count field: the low 28 bits count the GTIDs. */
    static final int GTID_LIST_COUNT_MASK = (1 << 28) - 1;
    /** One GTID in a GTID_LIST: domain 4, server 4, sequence 8. */
    static final int GTID_LIST_ENTRY_LEN = 16;

    private Events() {}

    /** A fake ROTATE: timestamp 0, log_pos 0, LOG_EVENT_ARTIFICIAL_F, body = position + file name. */
    public static byte[] fakeRotate(long serverId, String file, long position, boolean checksum) {
        return rotate(serverId, 0, 0, LogEvent.LOG_EVENT_ARTIFICIAL_F, file, position, checksum);
    }

    /** A ROTATE that ends a binlog file at {@code logPos}, as a master writes it: it names the next file. */
    public static byte[] rotate(long serverId, long timestamp, long logPos, String file, boolean checksum) {
        return rotate(serverId, timestamp, logPos, 0, file, LogEvent.BIN_LOG_HEADER_SIZE, checksum);
    }

    private static byte[] rotate(long serverId, long timestamp, long logPos, int flags, String file, long position,
            boolean checksum) {
        byte[] name = file.getBytes(StandardCharsets.UTF_8);
        byte[] event = newEvent(LogEvent.ROTATE_EVENT, serverId, timestamp, logPos, flags,
                ROTATE_POSITION_LEN + name.length, checksum);
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        LogEvent.putUint32(event, body, position);
        LogEvent.putUint32(event, body + 4, position >>> 32);
        System.arraycopy(name, 0, event, body + ROTATE_POSITION_LEN, name.length);
        return finish(event, checksum);
    }

    /**
     * HEARTBEAT_LOG_EVENT as MariaDB 10.11 sends it: timestamp 0, flags 0 (not ARTIFICIAL, see the
     * captures), log_pos = the read position in {@code file}, body = the file name.
     */
    public static byte[] heartbeat(long serverId, String file, long logPos, boolean checksum) {
        byte[] name = file.getBytes(StandardCharsets.UTF_8);
        byte[] event = newEvent(LogEvent.HEARTBEAT_LOG_EVENT, serverId, 0, logPos, 0, name.length, checksum);
        System.arraycopy(name, 0, event, LogEvent.LOG_EVENT_HEADER_LEN, name.length);
        return finish(event, checksum);
    }

    /** An artificial GTID_LIST at {@code logPos}: timestamp 0, LOG_EVENT_ARTIFICIAL_F. */
    public static byte[] artificialGtidList(long serverId, long logPos, GtidList gtids, boolean checksum) {
        return gtidList(serverId, 0, logPos, LogEvent.LOG_EVENT_ARTIFICIAL_F, gtids, checksum);
    }

    /** The GTID_LIST that follows a binlog file's FDE, as a master writes it: the GTID state where the file begins. */
    public static byte[] gtidList(long serverId, long timestamp, long logPos, GtidList gtids, boolean checksum) {
        return gtidList(serverId, timestamp, logPos, 0, gtids, checksum);
    }

    private static byte[] gtidList(long serverId, long timestamp, long logPos, int flags, GtidList gtids,
            boolean checksum) {
        int count = gtids.gtids().size();
        byte[] event = newEvent(LogEvent.GTID_LIST_EVENT, serverId, timestamp, logPos, flags,
                GTID_LIST_COUNT_LEN + count * GTID_LIST_ENTRY_LEN, checksum);
        int at = LogEvent.LOG_EVENT_HEADER_LEN;
        LogEvent.putUint32(event, at, count & GTID_LIST_COUNT_MASK);
        at += GTID_LIST_COUNT_LEN;
        for (MariadbGtid gtid : gtids.gtids()) {
            LogEvent.putUint32(event, at, gtid.domainId());
            LogEvent.putUint32(event, at + 4, gtid.serverId());
            LogEvent.putUint32(event, at + 8, gtid.sequence());
            LogEvent.putUint32(event, at + 12, gtid.sequence() >>> 32);
            at += GTID_LIST_ENTRY_LEN;
        }
        return finish(event, checksum);
    }

    /**
     * The file's FDE as a master sends it in a stream: the in-use flag (LOG_EVENT_BINLOG_IN_USE_F)
     * always cleared; {@code created} set to 0 unless {@code keepCreated}; log_pos set to 0 when
     * {@code zeroLogPos} (the first FDE of a dump that starts in the middle of a file, so the
     * replica does not take it as its position). When the FDE carries a valid checksum it is
     * recomputed after the change (an FDE is checksummed even in a file whose algorithm is OFF);
     * an FDE whose trailer did not match before is left as it was.
     */
    public static byte[] formatDescriptionForStream(byte[] fde, boolean keepCreated, boolean zeroLogPos) {
        boolean checksummed = EventChecksum.matches(fde);
        byte[] out = Arrays.copyOf(fde, fde.length);
        int flags = LogEvent.flags(out) & ~LogEvent.LOG_EVENT_BINLOG_IN_USE_F;
        out[LogEvent.FLAGS_OFFSET] = (byte) flags;
        out[LogEvent.FLAGS_OFFSET + 1] = (byte) (flags >>> 8);
        if (!keepCreated) {
            LogEvent.putUint32(out, LogEvent.FDE_CREATED_OFFSET, 0);
        }
        if (zeroLogPos) {
            LogEvent.putUint32(out, LogEvent.LOG_POS_OFFSET, 0);
        }
        if (checksummed) {
            EventChecksum.recompute(out);
        }
        return out;
    }

    /**
     * An event of a CRC32 file as Kingbus sends it to a replica that never set
     * {@code @master_binlog_checksum} (DESIGN.md, stream fact 7): without the 4-byte trailer,
     * event_size reduced to match, log_pos unchanged (it is a position in the master's file); an FDE
     * also declares {@link LogEvent#BINLOG_CHECKSUM_ALG_OFF}, so a parser that reads the algorithm
     * from it expects no checksums. (MariaDB itself refuses such a replica with error 1236 "Slave can
     * not handle replication events with the checksum that master is configured to log".)
     */
    public static byte[] withoutChecksum(byte[] event) {
        byte[] out = EventChecksum.strip(event);
        if (LogEvent.type(out) == LogEvent.FORMAT_DESCRIPTION_EVENT) {
            out[out.length - LogEvent.BINLOG_CHECKSUM_ALG_DESC_LEN] = (byte) LogEvent.BINLOG_CHECKSUM_ALG_OFF;
        }
        return out;
    }

    /**
     * A copy of {@code event} moved to end at {@code logPos} of another file, its CRC32 trailer recomputed when
     * {@code checksummed}; with {@code serverId} not negative, also marked as written by that server.
     */
    public static byte[] moved(byte[] event, long logPos, long serverId, boolean checksummed) {
        byte[] out = Arrays.copyOf(event, event.length);
        LogEvent.putUint32(out, LogEvent.LOG_POS_OFFSET, logPos);
        if (serverId >= 0) {
            LogEvent.putUint32(out, LogEvent.SERVER_ID_OFFSET, serverId);
        }
        if (checksummed) {
            EventChecksum.recompute(out);
        }
        return out;
    }

    private static byte[] newEvent(int type, long serverId, long timestamp, long logPos, int flags, int bodyLength,
            boolean checksum) {
        int size = LogEvent.LOG_EVENT_HEADER_LEN + bodyLength + (checksum ? LogEvent.BINLOG_CHECKSUM_LEN : 0);
        byte[] event = new byte[size];
        LogEvent.putUint32(event, LogEvent.TIMESTAMP_OFFSET, timestamp);
        event[LogEvent.EVENT_TYPE_OFFSET] = (byte) type;
        LogEvent.putUint32(event, LogEvent.SERVER_ID_OFFSET, serverId);
        LogEvent.putUint32(event, LogEvent.EVENT_LEN_OFFSET, size);
        LogEvent.putUint32(event, LogEvent.LOG_POS_OFFSET, logPos);
        event[LogEvent.FLAGS_OFFSET] = (byte) flags;
        event[LogEvent.FLAGS_OFFSET + 1] = (byte) (flags >>> 8);
        return event;
    }

    private static byte[] finish(byte[] event, boolean checksum) {
        if (checksum) {
            EventChecksum.recompute(event);
        }
        return event;
    }

    /** The GTIDs a GTID_LIST_EVENT lists (count int<4>, then domain int<4>, server int<4>, seq int<8> each). */
    public static GtidList readGtidList(byte[] event) {
        int at = LogEvent.LOG_EVENT_HEADER_LEN;
        long count = LogEvent.uint32(event, at) & GTID_LIST_COUNT_MASK;
        at += 4;
        java.util.List<MariadbGtid> gtids = new java.util.ArrayList<>();
        for (long i = 0; i < count; i++) {
            long sequence = LogEvent.uint32(event, at + 8) | LogEvent.uint32(event, at + 12) << 32;
            gtids.add(new MariadbGtid(LogEvent.uint32(event, at), LogEvent.uint32(event, at + 4), sequence));
            at += GTID_LIST_ENTRY_LEN;
        }
        return GtidList.of(gtids);
    }
}
