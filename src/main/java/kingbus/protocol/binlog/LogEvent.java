package kingbus.protocol.binlog;

import java.nio.charset.StandardCharsets;

/**
 * The v4 binlog event layout and the event types Kingbus looks at, named as in MySQL/MariaDB's
 * {@code log_event.h}. Static accessors read fields straight from an event's raw bytes.
 *
 * <pre>
 *   header (19): timestamp 4 | type 1 | server_id 4 | event_size 4 | log_pos 4 | flags 2
 *   body ...
 *   checksum 4 (CRC32), when the file's FORMAT_DESCRIPTION says binlog_checksum=CRC32
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class LogEvent {

    /** LOG_EVENT_HEADER_LEN: the v4 common header. */
    public static final int LOG_EVENT_HEADER_LEN = 19;
    /** The magic number that opens a binlog file; its first event starts after it. */
    public static final int BIN_LOG_HEADER_SIZE = 4;
    /** Header offset of timestamp int<4>. */
    public static final int TIMESTAMP_OFFSET = 0;
    /** EVENT_TYPE_OFFSET: header offset of the type code int<1>. */
    public static final int EVENT_TYPE_OFFSET = 4;
    /** SERVER_ID_OFFSET: header offset of server_id int<4>. */
    public static final int SERVER_ID_OFFSET = 5;
    /** EVENT_LEN_OFFSET: header offset of event_size int<4> (header + body + checksum). */
    public static final int EVENT_LEN_OFFSET = 9;
    /** LOG_POS_OFFSET: header offset of log_pos int<4>, the position just after the event. */
    public static final int LOG_POS_OFFSET = 13;
    /** FLAGS_OFFSET: header offset of flags int<2>. */
    public static final int FLAGS_OFFSET = 17;
    /** Length of the CRC32 trailer. */
    public static final int BINLOG_CHECKSUM_LEN = 4;

    /** LOG_EVENT_BINLOG_IN_USE_F: set in a file's FDE while the file is open. */
    public static final int LOG_EVENT_BINLOG_IN_USE_F = 0x1;
    /** LOG_EVENT_ARTIFICIAL_F: made up for the stream, not in any file. */
    public static final int LOG_EVENT_ARTIFICIAL_F = 0x20;
    /** LOG_EVENT_IGNORABLE_F: a replica that does not know the event type may skip it. */
    public static final int LOG_EVENT_IGNORABLE_F = 0x80;

    /** QUERY_EVENT: a statement (DDL, BEGIN, COMMIT, statement-based DML). */
    public static final int QUERY_EVENT = 2;
    /** STOP_EVENT: the master shut down. */
    public static final int STOP_EVENT = 3;
    /** ROTATE_EVENT: the next binlog file (the master's last event of a file, or a fake one). */
    public static final int ROTATE_EVENT = 4;
    /** FORMAT_DESCRIPTION_EVENT: the first event of every file; declares the checksum algorithm. */
    public static final int FORMAT_DESCRIPTION_EVENT = 15;
    /** XID_EVENT: commits a transactional event group. */
    public static final int XID_EVENT = 16;
    /** HEARTBEAT_LOG_EVENT: sent by the master when idle; never in a file. */
    public static final int HEARTBEAT_LOG_EVENT = 27;
    /** MariaDB ANNOTATE_ROWS_EVENT: the statement behind row events; sent only when asked for. */
    public static final int ANNOTATE_ROWS_EVENT = 160;
    /** MariaDB BINLOG_CHECKPOINT_EVENT: the oldest file still needed for crash recovery. */
    public static final int BINLOG_CHECKPOINT_EVENT = 161;
    /** MariaDB GTID_EVENT: starts an event group. */
    public static final int GTID_EVENT = 162;
    /** MariaDB GTID_LIST_EVENT: the GTID state at a point of the binlog. */
    public static final int GTID_LIST_EVENT = 163;
    /**
     * MariaDB START_ENCRYPTION_EVENT: the rest of the file is encrypted on the master's disk. A dump
     * thread decrypts what follows and sends this event with {@link #LOG_EVENT_IGNORABLE_F} set.
     */
    public static final int START_ENCRYPTION_EVENT = 164;

    /** FORMAT_DESCRIPTION body: binlog_version 2, server_version 50, create_timestamp 4, header_length 1, ... */
    public static final int FDE_SERVER_VERSION_OFFSET = LOG_EVENT_HEADER_LEN + 2;
    /** ST_SERVER_VER_LEN: the server version field, NUL-padded. */
    public static final int FDE_SERVER_VERSION_LEN = 50;
    /** ST_CREATED_OFFSET (from the event start): the file's creation time, 0 unless the server just started. */
    public static final int FDE_CREATED_OFFSET = FDE_SERVER_VERSION_OFFSET + FDE_SERVER_VERSION_LEN;

    /** BINLOG_CHECKSUM_ALG_OFF */
    public static final int BINLOG_CHECKSUM_ALG_OFF = 0;
    /** BINLOG_CHECKSUM_ALG_CRC32 */
    public static final int BINLOG_CHECKSUM_ALG_CRC32 = 1;
    /** BINLOG_CHECKSUM_ALG_UNDEF: an FDE of a server that predates checksums (no algorithm byte). */
    public static final int BINLOG_CHECKSUM_ALG_UNDEF = 255;
    /** Length of the checksum-algorithm byte that ends an FDE body (before the checksum). */
    public static final int BINLOG_CHECKSUM_ALG_DESC_LEN = 1;

    /** MySQL GTID_LOG_EVENT: opens a MySQL transaction (a UUID:number GTID). */
    public static final int GTID_LOG_EVENT = 33;
    /** MySQL ANONYMOUS_GTID_LOG_EVENT: opens a MySQL transaction written without a GTID. */
    public static final int ANONYMOUS_GTID_LOG_EVENT = 34;
    /** MySQL PREVIOUS_GTIDS_LOG_EVENT: the GTID set before a file, after its FDE. */
    public static final int PREVIOUS_GTIDS_LOG_EVENT = 35;
    /** MySQL TRANSACTION_PAYLOAD_EVENT (8.0.20+): a whole compressed transaction after its GTID event. */
    public static final int TRANSACTION_PAYLOAD_EVENT = 40;
    /** MySQL GTID_TAGGED_LOG_EVENT (8.4+): opens a MySQL transaction with a tagged GTID. */
    public static final int GTID_TAGGED_LOG_EVENT = 42;
    /** XA_PREPARE_LOG_EVENT (MariaDB 10.5+): ends an XA event group. */
    public static final int XA_PREPARE_LOG_EVENT = 38;
    /** INTVAR_EVENT: part of the group of the statement that follows. */
    public static final int INTVAR_EVENT = 5;
    /** RAND_EVENT: part of the group of the statement that follows. */
    public static final int RAND_EVENT = 13;
    /** USER_VAR_EVENT: part of the group of the statement that follows. */
    public static final int USER_VAR_EVENT = 14;
    /** TABLE_MAP_EVENT */
    public static final int TABLE_MAP_EVENT = 19;
    /** PRE_GA_WRITE_ROWS_EVENT: the first of the v0/v1 row-event type codes (20..25). */
    static final int FIRST_ROWS_EVENT_V1 = 20;
    /** DELETE_ROWS_EVENT_V1: the last of the v0/v1 row-event type codes. */
    static final int LAST_ROWS_EVENT_V1 = 25;
    /** WRITE_ROWS_EVENT (v2): the first of the v2 row-event type codes (30..32). */
    static final int FIRST_ROWS_EVENT_V2 = 30;
    /** DELETE_ROWS_EVENT (v2): the last of the v2 row-event type codes. */
    static final int LAST_ROWS_EVENT_V2 = 32;
    /** MariaDB WRITE_ROWS_COMPRESSED_EVENT_V1: the first compressed row-event type. */
    static final int FIRST_COMPRESSED_ROWS_EVENT = 166;
    /** MariaDB DELETE_ROWS_COMPRESSED_EVENT: the last compressed row-event type. */
    static final int LAST_COMPRESSED_ROWS_EVENT = 171;

    private LogEvent() {}

    public static int type(byte[] e) {
        return e[EVENT_TYPE_OFFSET] & 0xFF;
    }

    public static long serverId(byte[] e) {
        return uint32(e, SERVER_ID_OFFSET);
    }

    public static long logPos(byte[] e) {
        return uint32(e, LOG_POS_OFFSET);
    }

    public static int flags(byte[] e) {
        return (e[FLAGS_OFFSET] & 0xFF) | (e[FLAGS_OFFSET + 1] & 0xFF) << 8;
    }

    /**
     * True when two FORMAT_DESCRIPTION_EVENTs open the same binlog file: written by the same server ({@code server_id})
     * at the same second (the header's timestamp), with the same binlog and server versions. What a master changes
     * in a file's FDE when it sends it again (the created time, the in-use flag, log_pos, the checksum) is not
     * compared; a file of another server, or one a RESET MASTER began anew under the same name, differs.
     */
    public static boolean sameFileStart(byte[] fde, byte[] other) {
        int versionsEnd = FDE_CREATED_OFFSET;
        if (fde.length < versionsEnd || other.length < versionsEnd) {
            return false;
        }
        return uint32(fde, TIMESTAMP_OFFSET) == uint32(other, TIMESTAMP_OFFSET) && serverId(fde) == serverId(other)
                && java.util.Arrays.equals(fde, LOG_EVENT_HEADER_LEN, versionsEnd, other, LOG_EVENT_HEADER_LEN,
                        versionsEnd);
    }

    /** True when the event has {@link #LOG_EVENT_IGNORABLE_F}. */
    public static boolean isIgnorable(byte[] e) {
        return (flags(e) & LOG_EVENT_IGNORABLE_F) != 0;
    }

    /** True for an event the master made up for the stream (artificial flag, or log_pos 0). */
    public static boolean isArtificial(byte[] e) {
        return (flags(e) & LOG_EVENT_ARTIFICIAL_F) != 0 || logPos(e) == 0;
    }

    /** The position a ROTATE_EVENT points to (body: position int<8>, then the file name). */
    public static long rotatePosition(byte[] e) {
        return uint32(e, LOG_EVENT_HEADER_LEN) | uint32(e, LOG_EVENT_HEADER_LEN + 4) << 32;
    }

    /** The file name a ROTATE_EVENT points to. */
    public static String rotateFile(byte[] e, boolean hasChecksum) {
        int start = LOG_EVENT_HEADER_LEN + 8;
        int end = e.length - (hasChecksum ? BINLOG_CHECKSUM_LEN : 0);
        return new String(e, start, end - start, StandardCharsets.UTF_8);
    }

    /**
     * The checksum algorithm an FDE declares: the byte before its 4-byte checksum trailer (an FDE of
     * a checksum-aware server always carries both, whatever the algorithm). Anything but CRC32 is
     * reported as {@link #BINLOG_CHECKSUM_ALG_OFF}: events of that file carry no checksum.
     */
    public static int checksumAlgorithm(byte[] fde) {
        int at = fde.length - BINLOG_CHECKSUM_LEN - BINLOG_CHECKSUM_ALG_DESC_LEN;
        if (at < FDE_CREATED_OFFSET) {
            return BINLOG_CHECKSUM_ALG_OFF;
        }
        int alg = fde[at] & 0xFF;
        return alg == BINLOG_CHECKSUM_ALG_CRC32 ? BINLOG_CHECKSUM_ALG_CRC32 : BINLOG_CHECKSUM_ALG_OFF;
    }

    /**
     * True for events that belong to the event group of the statement after them, as MariaDB's
     * {@code Log_event::is_part_of_group}: a standalone (DDL) group ends at the first event that is not.
     */
    public static boolean isPartOfGroup(int type) {
        return type == GTID_EVENT || type == XID_EVENT || type == XA_PREPARE_LOG_EVENT || type == INTVAR_EVENT
                || type == RAND_EVENT || type == USER_VAR_EVENT || type == TABLE_MAP_EVENT
                || type == ANNOTATE_ROWS_EVENT
                || (type >= FIRST_ROWS_EVENT_V1 && type <= LAST_ROWS_EVENT_V1)
                || (type >= FIRST_ROWS_EVENT_V2 && type <= LAST_ROWS_EVENT_V2)
                || (type >= FIRST_COMPRESSED_ROWS_EVENT && type <= LAST_COMPRESSED_ROWS_EVENT);
    }

    /** The event_size field of the header. */
    public static long eventSize(byte[] e) {
        return uint32(e, EVENT_LEN_OFFSET);
    }

    /** The server version an FDE names, e.g. {@code 10.11.19-MariaDB-0+deb12u1-log}. */
    public static String serverVersion(byte[] fde) {
        int end = FDE_SERVER_VERSION_OFFSET;
        while (end < FDE_SERVER_VERSION_OFFSET + FDE_SERVER_VERSION_LEN && fde[end] != 0) {
            end++;
        }
        return new String(fde, FDE_SERVER_VERSION_OFFSET, end - FDE_SERVER_VERSION_OFFSET, StandardCharsets.US_ASCII);
    }

    /** Domain id of a MariaDB GTID_EVENT (body: seq_no 8, domain_id 4, flags2 1). */
    public static long gtidDomain(byte[] e) {
        return uint32(e, LOG_EVENT_HEADER_LEN + 8);
    }

    /** Sequence number of a MariaDB GTID_EVENT. */
    public static long gtidSequence(byte[] e) {
        return uint32(e, LOG_EVENT_HEADER_LEN) | uint32(e, LOG_EVENT_HEADER_LEN + 4) << 32;
    }

    public static long uint32(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
    }

    /** Writes {@code v} as a little-endian int<4> at {@code i}. */
    public static void putUint32(byte[] b, int i, long v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }
}
