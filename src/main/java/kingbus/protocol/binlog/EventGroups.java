package kingbus.protocol.binlog;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Where event groups (transactions) begin and end, read from raw events. A MariaDB group starts
 * at a GTID_EVENT; it ends at XID_EVENT, XA_PREPARE_LOG_EVENT, a QUERY (or QUERY_COMPRESSED) of
 * COMMIT / ROLLBACK / XA COMMIT / XA ROLLBACK, or, when the GTID has FL_STANDALONE (DDL), at its
 * one statement. A MySQL group starts at a GTID_LOG_EVENT (anonymous or tagged too), whose header
 * has no such flag: it ends at its TRANSACTION_PAYLOAD_EVENT (compressed), and otherwise as MariaDB's,
 * standalone unless its first statement is {@code BEGIN} or {@code XA START} (as MySQL's
 * {@code Transaction_boundary_parser}).
 *
 * <p>Stateless and thread-safe.
 */
public final class EventGroups {

    /** XA_PREPARE_LOG_EVENT: ends an XA event group. */
    public static final int XA_PREPARE_LOG_EVENT = LogEvent.XA_PREPARE_LOG_EVENT;
    /** MariaDB QUERY_COMPRESSED_EVENT: a compressed QUERY_EVENT. */
    public static final int QUERY_COMPRESSED_EVENT = 165;
    /** GTID_EVENT flags2 FL_STANDALONE: a group of one statement with no BEGIN/COMMIT. */
    public static final int FL_STANDALONE = 1;
    /** Offset of flags2 in the GTID_EVENT body: seq_no 8, domain_id 4. */
    static final int GTID_FLAGS2_OFFSET = 12;
    /** QUERY_EVENT post-header: thread_id 4, exec_time 4, db_len 1, error_code 2, status_vars_len 2. */
    static final int QUERY_HEADER_LEN = 13;
    static final int QUERY_DB_LEN_OFFSET = 8;
    static final int QUERY_STATUS_VARS_LEN_OFFSET = 11;
    /** How much of a statement is read to recognise COMMIT and friends. */
    static final int QUERY_PREFIX_LEN = 32;

    private EventGroups() {}

    public static boolean startsGroup(byte[] event) {
        return LogEvent.type(event) == LogEvent.GTID_EVENT || isMysqlGroup(event);
    }

    /** True for the GTID event that opens a MySQL group (GTID_LOG_EVENT, anonymous or tagged). */
    public static boolean isMysqlGroup(byte[] event) {
        int type = LogEvent.type(event);
        return type == LogEvent.GTID_LOG_EVENT || type == LogEvent.ANONYMOUS_GTID_LOG_EVENT
                || type == LogEvent.GTID_TAGGED_LOG_EVENT;
    }

    /** True for a QUERY_EVENT that opens a multi-statement transaction: {@code BEGIN} or {@code XA START}. */
    public static boolean beginsTransaction(byte[] event, boolean hasChecksum) {
        if (LogEvent.type(event) != LogEvent.QUERY_EVENT) {
            return false;
        }
        String query = queryPrefix(event, hasChecksum).strip().toUpperCase(Locale.ROOT);
        return query.equals("BEGIN") || query.startsWith("XA START");
    }

    /**
     * True when {@code event}, inside a MySQL group that has ({@code begun}) or has not yet seen its BEGIN or XA
     * START, is the group's last event.
     */
    public static boolean endsMysqlGroup(byte[] event, boolean begun, boolean hasChecksum) {
        int type = LogEvent.type(event);
        if (type == LogEvent.TRANSACTION_PAYLOAD_EVENT || type == LogEvent.XID_EVENT
                || type == XA_PREPARE_LOG_EVENT) {
            return true;
        }
        if (type != LogEvent.QUERY_EVENT) {
            return false;
        }
        return begun ? isCommitOrRollback(queryPrefix(event, hasChecksum)) : !beginsTransaction(event, hasChecksum);
    }

    /** FL_STANDALONE of a GTID_EVENT. */
    public static boolean isStandalone(byte[] gtidEvent) {
        return (gtidEvent[LogEvent.LOG_EVENT_HEADER_LEN + GTID_FLAGS2_OFFSET] & FL_STANDALONE) != 0;
    }

    /**
     * True when {@code event}, inside a group whose GTID had FL_STANDALONE = {@code standalone},
     * is the group's last event.
     */
    public static boolean endsGroup(byte[] event, boolean standalone, boolean hasChecksum) {
        switch (LogEvent.type(event)) {
            case LogEvent.XID_EVENT, XA_PREPARE_LOG_EVENT:
                return true;
            case LogEvent.QUERY_EVENT:
                if (standalone) {
                    return true;
                }
                return isCommitOrRollback(queryPrefix(event, hasChecksum));
            case QUERY_COMPRESSED_EVENT:
                if (standalone) {
                    return true;
                }
                return isCommitOrRollback(compressedQueryPrefix(event, hasChecksum));
            default:
                return false;
        }
    }

    /**
     * True for a statement that ends a transaction: COMMIT, ROLLBACK, XA COMMIT, XA ROLLBACK, but not
     * {@code ROLLBACK TO savepoint}, which stays inside its transaction.
     */
    static boolean isCommitOrRollback(String statement) {
        String query = statement.strip().toUpperCase(Locale.ROOT);
        if (query.startsWith("ROLLBACK")) {
            return !query.substring("ROLLBACK".length()).stripLeading().startsWith("TO");
        }
        return query.startsWith("COMMIT") || query.startsWith("XA COMMIT") || query.startsWith("XA ROLLBACK");
    }

    /** The first characters of a QUERY_EVENT's statement. */
    static String queryPrefix(byte[] e, boolean hasChecksum) {
        int start = statementOffset(e);
        int end = e.length - (hasChecksum ? LogEvent.BINLOG_CHECKSUM_LEN : 0);
        if (start >= end) {
            return "";
        }
        return new String(e, start, Math.min(end - start, QUERY_PREFIX_LEN), StandardCharsets.ISO_8859_1);
    }

    /**
     * The first characters of a QUERY_COMPRESSED_EVENT's statement, which MariaDB stores as
     * {@code binlog_buf_compress} writes it: one byte {@code 0x80 | lenlen}, the uncompressed length
     * in {@code lenlen} big-endian bytes, then a zlib stream. Empty when it cannot be read (hand-written:
     * no library parses MariaDB's compressed events; {@link Inflater} does the zlib part).
     */
    static String compressedQueryPrefix(byte[] e, boolean hasChecksum) {
        byte[] prefix = inflatedStatement(e, e.length - (hasChecksum ? LogEvent.BINLOG_CHECKSUM_LEN : 0),
                QUERY_PREFIX_LEN);
        return prefix == null ? "" : new String(prefix, StandardCharsets.ISO_8859_1);
    }

    /**
     * The first {@code max} bytes at most of a QUERY_COMPRESSED_EVENT's statement, whose bytes end at {@code end}
     * (before any checksum); null when it cannot be read.
     */
    static byte[] inflatedStatement(byte[] e, int end, int max) {
        int start = statementOffset(e);
        if (start >= end) {
            return null;
        }
        int lenlen = e[start] & 0x07;
        int zlibStart = start + 1 + lenlen;
        if ((e[start] & 0x80) == 0 || lenlen == 0 || zlibStart >= end) {
            return null;
        }
        long declared = 0;
        for (int i = 0; i < lenlen; i++) {
            declared = declared << 8 | (e[start + 1 + i] & 0xFF);
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(e, zlibStart, end - zlibStart);
            byte[] out = new byte[(int) Math.min(max, declared)];
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0) {
                    break; // truncated input or a preset dictionary: not a statement we can read
                }
                n += got;
            }
            return n == out.length ? out : java.util.Arrays.copyOf(out, n);
        } catch (DataFormatException bad) {
            return null;
        } finally {
            inflater.end();
        }
    }

    /** Where a (possibly compressed) QUERY_EVENT's statement starts: after post-header, status variables and db. */
    static int statementOffset(byte[] e) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        int dbLen = e[body + QUERY_DB_LEN_OFFSET] & 0xFF;
        int statusLen = (e[body + QUERY_STATUS_VARS_LEN_OFFSET] & 0xFF)
                | (e[body + QUERY_STATUS_VARS_LEN_OFFSET + 1] & 0xFF) << 8;
        return body + QUERY_HEADER_LEN + statusLen + dbLen + 1;
    }
}
