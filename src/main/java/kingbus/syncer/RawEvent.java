package kingbus.syncer;

/**
 * Reads the fields of a raw binlog event (v4 header) that the syncer needs, straight from its
 * bytes.
 *
 * <p>Stateless and thread-safe.
 */
final class RawEvent {

    /** Common header: timestamp 4, type 1, server_id 4, event_size 4, log_pos 4, flags 2. */
    static final int LOG_EVENT_HEADER_LEN = 19;
    static final int EVENT_TYPE_OFFSET = 4;
    static final int EVENT_LEN_OFFSET = 9;
    static final int LOG_POS_OFFSET = 13;
    static final int FLAGS_OFFSET = 17;
    /** Length of the CRC32 trailer when binlog_checksum=CRC32. */
    static final int BINLOG_CHECKSUM_LEN = 4;

    /** LOG_EVENT_ARTIFICIAL_F: made up by the master for this stream, not in any file. */
    static final int LOG_EVENT_ARTIFICIAL_F = 0x20;

    static final int QUERY_EVENT = 2;
    static final int STOP_EVENT = 3;
    static final int ROTATE_EVENT = 4;
    static final int FORMAT_DESCRIPTION_EVENT = 15;
    static final int XID_EVENT = 16;
    static final int HEARTBEAT_LOG_EVENT = 27;
    static final int XA_PREPARE_LOG_EVENT = 38;
    static final int ANNOTATE_ROWS_EVENT = 160;
    static final int GTID_EVENT = 162;
    static final int START_ENCRYPTION_EVENT = 164;
    static final int QUERY_COMPRESSED_EVENT = 165;

    /** MariaDB GTID_EVENT flags2: the group is one statement with no BEGIN/COMMIT (DDL). */
    static final int FL_STANDALONE = 1;
    /** Offset of flags2 in the GTID_EVENT body: seq_no 8, domain_id 4. */
    static final int GTID_FLAGS2_OFFSET = 12;

    /** QUERY_EVENT post-header: thread_id 4, exec_time 4, db_len 1, error_code 2, status_vars_len 2. */
    static final int QUERY_HEADER_LEN = 13;
    static final int QUERY_DB_LEN_OFFSET = 8;
    static final int QUERY_STATUS_VARS_LEN_OFFSET = 11;

    /** ROTATE_EVENT body: position 8, then the next file's name. */
    static final int ROTATE_POSITION_LEN = 8;

    /** FORMAT_DESCRIPTION_EVENT: the checksum algorithm byte sits just before the CRC trailer. */
    static final int BINLOG_CHECKSUM_ALG_OFF = 0;
    static final int BINLOG_CHECKSUM_ALG_CRC32 = 1;
    static final int BINLOG_CHECKSUM_ALG_UNDEF = 255;

    private RawEvent() {}

    static int type(byte[] e) {
        return e[EVENT_TYPE_OFFSET] & 0xFF;
    }

    static long size(byte[] e) {
        return uint32(e, EVENT_LEN_OFFSET);
    }

    static long logPos(byte[] e) {
        return uint32(e, LOG_POS_OFFSET);
    }

    static int flags(byte[] e) {
        return (e[FLAGS_OFFSET] & 0xFF) | (e[FLAGS_OFFSET + 1] & 0xFF) << 8;
    }

    static boolean isArtificial(byte[] e) {
        return (flags(e) & LOG_EVENT_ARTIFICIAL_F) != 0 || logPos(e) == 0;
    }

    /** The file name a ROTATE_EVENT points to. */
    static String rotateFile(byte[] e, boolean hasChecksum) {
        int start = LOG_EVENT_HEADER_LEN + ROTATE_POSITION_LEN;
        int end = e.length - (hasChecksum ? BINLOG_CHECKSUM_LEN : 0);
        return new String(e, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The position a ROTATE_EVENT points to. */
    static long rotatePosition(byte[] e) {
        return uint32(e, LOG_EVENT_HEADER_LEN) | uint32(e, LOG_EVENT_HEADER_LEN + 4) << 32;
    }

    /** The checksum algorithm an FDE declares: 0 = NONE, 1 = CRC32 (255/absent = none). */
    static int checksumAlgorithm(byte[] fde) {
        // Layout: ... | checksum_alg 1 | crc 4 when the server knows checksums (all we support).
        int alg = fde[fde.length - BINLOG_CHECKSUM_LEN - 1] & 0xFF;
        return alg == BINLOG_CHECKSUM_ALG_CRC32 ? BINLOG_CHECKSUM_ALG_CRC32 : BINLOG_CHECKSUM_ALG_OFF;
    }

    /** True when the CRC32 trailer matches the rest of the event. */
    static boolean crcMatches(byte[] e) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(e, 0, e.length - BINLOG_CHECKSUM_LEN);
        return crc.getValue() == uint32(e, e.length - BINLOG_CHECKSUM_LEN);
    }

    static boolean gtidStandalone(byte[] e) {
        return (e[LOG_EVENT_HEADER_LEN + GTID_FLAGS2_OFFSET] & FL_STANDALONE) != 0;
    }

    /** The statement of a QUERY_EVENT (uncompressed), as ASCII-ish text; enough to spot COMMIT. */
    static String queryText(byte[] e, boolean hasChecksum) {
        int body = LOG_EVENT_HEADER_LEN;
        int dbLen = e[body + QUERY_DB_LEN_OFFSET] & 0xFF;
        int statusLen = (e[body + QUERY_STATUS_VARS_LEN_OFFSET] & 0xFF)
                | (e[body + QUERY_STATUS_VARS_LEN_OFFSET + 1] & 0xFF) << 8;
        int start = body + QUERY_HEADER_LEN + statusLen + dbLen + 1;
        int end = e.length - (hasChecksum ? BINLOG_CHECKSUM_LEN : 0);
        if (start >= end) {
            return "";
        }
        return new String(e, start, Math.min(end - start, 32), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    static long uint32(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
    }
}
