package kingbus.protocol.binlog;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code Event_type} and {@code Info} columns of {@code SHOW BINLOG EVENTS}, as MariaDB 10.11 writes them
 * ({@code Log_event::get_type_str} and each event's {@code pack_info} in sql/log_event*.cc): a registry from event
 * type to a name and a small describer of the event's bytes.
 *
 * <p>Hand-written rather than through mysql-binlog-connector-java's deserializers: those parse whole rows (and need
 * the table maps before them), while {@code Info} needs a few header fields. Types whose {@code Info} MariaDB builds
 * from values Kingbus does not decode ({@code User var}, the old LOAD events) get the type name and an empty
 * {@code Info}.
 *
 * <p>Stateless; thread-safe.
 */
public final class EventInfo {

    /** START_EVENT_V3 */
    static final int START_EVENT_V3 = 1;
    /** LOAD_EVENT */
    static final int LOAD_EVENT = 6;
    /** CREATE_FILE_EVENT */
    static final int CREATE_FILE_EVENT = 8;
    /** APPEND_BLOCK_EVENT */
    static final int APPEND_BLOCK_EVENT = 9;
    /** EXEC_LOAD_EVENT */
    static final int EXEC_LOAD_EVENT = 10;
    /** DELETE_FILE_EVENT */
    static final int DELETE_FILE_EVENT = 11;
    /** NEW_LOAD_EVENT */
    static final int NEW_LOAD_EVENT = 12;
    /** BEGIN_LOAD_QUERY_EVENT */
    static final int BEGIN_LOAD_QUERY_EVENT = 17;
    /** EXECUTE_LOAD_QUERY_EVENT */
    static final int EXECUTE_LOAD_QUERY_EVENT = 18;
    /** INCIDENT_EVENT */
    static final int INCIDENT_EVENT = 26;
    /** IGNORABLE_LOG_EVENT */
    static final int IGNORABLE_LOG_EVENT = 28;
    /** ROWS_QUERY_LOG_EVENT (MySQL) */
    static final int ROWS_QUERY_LOG_EVENT = 29;
    /** TRANSACTION_CONTEXT_EVENT (MySQL) */
    static final int TRANSACTION_CONTEXT_EVENT = 36;
    /** VIEW_CHANGE_EVENT (MySQL) */
    static final int VIEW_CHANGE_EVENT = 37;

    /** The most of a compressed statement shown (MariaDB's own limit is max_allowed_packet). */
    static final int MAX_INFLATED_STATEMENT = 64 << 20;
    /** LOG_EVENT_SUPPRESS_USE_F: the statement names its database itself (CREATE DATABASE): no "use `db`; ". */
    static final int LOG_EVENT_SUPPRESS_USE_F = 0x8;
    /** Intvar_log_event's type byte: LAST_INSERT_ID_EVENT, else INSERT_ID_EVENT. */
    static final int LAST_INSERT_ID_EVENT = 1;
    /** Gtid_log_event flags2: FL_GROUP_COMMIT_ID (a commit id follows; FL_STANDALONE is in EventGroups). */
    static final int FL_GROUP_COMMIT_ID = 2;
    /** Gtid_log_event flags2: FL_PREPARED_XA (an XA PREPARE: its XID follows). */
    static final int FL_PREPARED_XA = 64;
    /** Rows_log_event flags: STMT_END_F, the last rows event of the statement. */
    static final int STMT_END_F = 1;

    /** Table_map and rows events: table_id int<6>, then flags int<2>. */
    static final int TABLE_ID_LEN = 6;
    static final int TABLE_FLAGS_LEN = 2;
    /** Binlog_checkpoint_log_event body: binlog_file_len int<4>, then the file name. */
    static final int CHECKPOINT_FILE_NAME_OFFSET = 4;
    /** Rotate_log_event body: position int<8>, then the new file's name. */
    static final int ROTATE_FILE_NAME_OFFSET = 8;
    /** Gtid_log_event body: seq_no int<8>, domain_id int<4>, flags2 int<1> (EventGroups), [commit_id int<8>]. */
    static final int GTID_COMMIT_ID_OFFSET = EventGroups.GTID_FLAGS2_OFFSET + 1;
    /** Format_description_log_event body: binlog_version int<2>, then server_version string<50>. */
    static final int FDE_BINLOG_VERSION_OFFSET = 0;

    private interface Describer {
        /**
         * The Info text of {@code e}, whose body runs from {@code LOG_EVENT_HEADER_LEN} to {@code end}, one char per
         * byte (ISO-8859-1): MariaDB sends statements and names as the bytes the binlog holds, whatever their charset.
         */
        String info(byte[] e, int end);
    }

    private record Kind(String name, Describer describer) {
    }

    private static final Describer NONE = (e, end) -> "";
    private static final Map<Integer, Kind> KINDS = new HashMap<>();

    static {
        kind(START_EVENT_V3, "Start_v3", NONE);
        kind(LogEvent.QUERY_EVENT, "Query", EventInfo::query);
        kind(LogEvent.STOP_EVENT, "Stop", NONE);
        kind(LogEvent.ROTATE_EVENT, "Rotate", EventInfo::rotate);
        kind(LogEvent.INTVAR_EVENT, "Intvar", EventInfo::intvar);
        kind(LOAD_EVENT, "Load", NONE);
        kind(NEW_LOAD_EVENT, "New_load", NONE);
        kind(CREATE_FILE_EVENT, "Create_file", NONE);
        kind(APPEND_BLOCK_EVENT, "Append_block", NONE);
        kind(DELETE_FILE_EVENT, "Delete_file", NONE);
        kind(EXEC_LOAD_EVENT, "Exec_load", NONE);
        kind(LogEvent.RAND_EVENT, "RAND", EventInfo::rand);
        kind(LogEvent.XID_EVENT, "Xid", (e, end) -> "COMMIT /* xid=" + Long.toUnsignedString(int8(e,
                LogEvent.LOG_EVENT_HEADER_LEN)) + " */");
        kind(LogEvent.USER_VAR_EVENT, "User var", NONE);
        kind(LogEvent.FORMAT_DESCRIPTION_EVENT, "Format_desc", (e, end) -> "Server ver: " + LogEvent.serverVersion(e)
                + ", Binlog ver: " + int2(e, LogEvent.LOG_EVENT_HEADER_LEN + FDE_BINLOG_VERSION_OFFSET));
        kind(LogEvent.TABLE_MAP_EVENT, "Table_map", EventInfo::tableMap);
        rowsKinds(LogEvent.FIRST_ROWS_EVENT_V1, "Write_rows_event_old", "Update_rows_event_old",
                "Delete_rows_event_old", "Write_rows_v1", "Update_rows_v1", "Delete_rows_v1");
        rowsKinds(LogEvent.FIRST_ROWS_EVENT_V2, "Write_rows", "Update_rows", "Delete_rows");
        kind(BEGIN_LOAD_QUERY_EVENT, "Begin_load_query", NONE);
        kind(EXECUTE_LOAD_QUERY_EVENT, "Execute_load_query", NONE);
        kind(INCIDENT_EVENT, "Incident", NONE);
        kind(LogEvent.HEARTBEAT_LOG_EVENT, "Heartbeat", NONE);
        kind(IGNORABLE_LOG_EVENT, "Ignorable log event", NONE);
        kind(ROWS_QUERY_LOG_EVENT, "MySQL Rows_query", NONE);
        kind(LogEvent.GTID_LOG_EVENT, "MySQL Gtid", NONE);
        kind(LogEvent.ANONYMOUS_GTID_LOG_EVENT, "MySQL Anonymous_Gtid", NONE);
        kind(LogEvent.PREVIOUS_GTIDS_LOG_EVENT, "MySQL Previous_gtids", NONE);
        kind(TRANSACTION_CONTEXT_EVENT, "Transaction_context", NONE);
        kind(VIEW_CHANGE_EVENT, "View_change", NONE);
        kind(LogEvent.XA_PREPARE_LOG_EVENT, "XA_prepare", EventInfo::xaPrepare);
        kind(LogEvent.ANNOTATE_ROWS_EVENT, "Annotate_rows", (e, end) -> text(e, LogEvent.LOG_EVENT_HEADER_LEN, end));
        kind(LogEvent.BINLOG_CHECKPOINT_EVENT, "Binlog_checkpoint", (e, end) -> text(e,
                LogEvent.LOG_EVENT_HEADER_LEN + CHECKPOINT_FILE_NAME_OFFSET, end));
        kind(LogEvent.GTID_EVENT, "Gtid", EventInfo::gtid);
        kind(LogEvent.GTID_LIST_EVENT, "Gtid_list", (e, end) -> "[" + Events.readGtidList(e) + "]");
        kind(LogEvent.START_ENCRYPTION_EVENT, "Start_encryption", NONE);
        kind(EventGroups.QUERY_COMPRESSED_EVENT, "Query_compressed", EventInfo::query);
        rowsKinds(LogEvent.FIRST_COMPRESSED_ROWS_EVENT, "Write_rows_compressed_v1", "Update_rows_compressed_v1",
                "Delete_rows_compressed_v1", "Write_rows_compressed", "Update_rows_compressed",
                "Delete_rows_compressed");
    }

    private EventInfo() {
    }

    private static void kind(int type, String name, Describer describer) {
        KINDS.put(type, new Kind(name, describer));
    }

    /** Rows events of consecutive types from {@code first}, in MariaDB's order: write, update, delete. */
    private static void rowsKinds(int first, String... names) {
        for (int i = 0; i < names.length; i++) {
            kind(first + i, names[i], EventInfo::rows);
        }
    }

    /** MariaDB's name of the event type ("Unknown" for a type it does not know). */
    public static String typeName(int type) {
        Kind kind = KINDS.get(type);
        return kind == null ? "Unknown" : kind.name();
    }

    /**
     * The Info column for one event, as the bytes MariaDB sends (statements and names as the binlog holds them).
     *
     * @param hasChecksum whether the event ends with a CRC32 (as its file's FORMAT_DESCRIPTION says); not part of Info
     */
    public static byte[] info(byte[] event, boolean hasChecksum) {
        return infoText(event, hasChecksum).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@link #info} as text, one char per byte (ISO-8859-1). */
    static String infoText(byte[] event, boolean hasChecksum) {
        Kind kind = KINDS.get(LogEvent.type(event));
        if (kind == null) {
            return "";
        }
        int end = (int) Math.min(event.length, LogEvent.eventSize(event));
        if (hasChecksum && LogEvent.type(event) != LogEvent.FORMAT_DESCRIPTION_EVENT) {
            end -= LogEvent.BINLOG_CHECKSUM_LEN;
        }
        try {
            return kind.describer().info(event, end);
        } catch (IndexOutOfBoundsException e) {
            return ""; // a body shorter than its type needs: show the row without Info rather than fail the listing
        }
    }

    /**
     * {@code use `db`; query}, or the query alone without a default database or with LOG_EVENT_SUPPRESS_USE_F
     * (Query_log_event::pack_info); a QUERY_COMPRESSED_EVENT's statement inflated.
     */
    private static String query(byte[] e, int end) {
        int dbLength = e[LogEvent.LOG_EVENT_HEADER_LEN + EventGroups.QUERY_DB_LEN_OFFSET] & 0xFF;
        int query = EventGroups.statementOffset(e);
        int db = query - dbLength - 1; // the database name ends with a NUL
        String statement;
        if (LogEvent.type(e) == EventGroups.QUERY_COMPRESSED_EVENT) { // MariaDB shows the statement inflated
            byte[] inflated = EventGroups.inflatedStatement(e, end, MAX_INFLATED_STATEMENT);
            statement = inflated == null ? "" : new String(inflated, StandardCharsets.ISO_8859_1);
        } else {
            statement = text(e, query, end);
        }
        if (dbLength == 0 || (LogEvent.flags(e) & LOG_EVENT_SUPPRESS_USE_F) != 0) {
            return statement;
        }
        return "use `" + text(e, db, db + dbLength).replace("`", "``") + "`; " + statement;
    }

    /** {@code new_file;pos=N} (Rotate_log_event::pack_info). */
    private static String rotate(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        return text(e, body + ROTATE_FILE_NAME_OFFSET, end) + ";pos=" + Long.toUnsignedString(int8(e, body));
    }

    /** {@code LAST_INSERT_ID=N} or {@code INSERT_ID=N} (Intvar_log_event::pack_info). */
    private static String intvar(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        String name = (e[body] & 0xFF) == LAST_INSERT_ID_EVENT ? "LAST_INSERT_ID" : "INSERT_ID";
        return name + "=" + Long.toUnsignedString(int8(e, body + 1));
    }

    /** {@code rand_seed1=N,rand_seed2=M} (Rand_log_event::pack_info). */
    private static String rand(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        return "rand_seed1=" + Long.toUnsignedString(int8(e, body)) + ",rand_seed2="
                + Long.toUnsignedString(int8(e, body + 8));
    }

    /** {@code table_id: N (db.table)} (Table_map_log_event::pack_info). */
    private static String tableMap(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        int at = body + TABLE_ID_LEN + TABLE_FLAGS_LEN;
        int dbLength = e[at] & 0xFF;
        String db = text(e, at + 1, at + 1 + dbLength);
        at += 1 + dbLength + 1;
        int tableLength = e[at] & 0xFF;
        String table = text(e, at + 1, at + 1 + tableLength);
        return "table_id: " + int6(e, body) + " (" + db + "." + table + ")";
    }

    /** {@code table_id: N}, with {@code  flags: STMT_END_F} on a statement's last (Rows_log_event::pack_info). */
    private static String rows(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        boolean last = (int2(e, body + TABLE_ID_LEN) & STMT_END_F) != 0;
        return "table_id: " + int6(e, body) + (last ? " flags: STMT_END_F" : "");
    }

    /**
     * {@code BEGIN GTID d-s-n}, {@code GTID d-s-n} when standalone, {@code XA START xid GTID d-s-n} for an XA
     * PREPARE, plus {@code  cid=N} in a group commit (Gtid_log_event::pack_info).
     */
    private static String gtid(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        int flags2 = e[body + EventGroups.GTID_FLAGS2_OFFSET] & 0xFF;
        int at = body + GTID_COMMIT_ID_OFFSET;
        long commitId = 0;
        if ((flags2 & FL_GROUP_COMMIT_ID) != 0) {
            commitId = int8(e, at);
            at += 8;
        }
        String prefix;
        if ((flags2 & FL_PREPARED_XA) != 0) {
            // format_id int<4>, gtrid_length int<1>, bqual_length int<1>, then the XID's bytes
            prefix = "XA START " + xid(e, at, e[at + 4] & 0xFF, e[at + 5] & 0xFF, at + 6) + " GTID ";
        } else {
            prefix = (flags2 & EventGroups.FL_STANDALONE) != 0 ? "GTID " : "BEGIN GTID ";
        }
        String text = prefix + LogEvent.gtidDomain(e) + "-" + LogEvent.serverId(e) + "-"
                + Long.toUnsignedString(LogEvent.gtidSequence(e));
        if ((flags2 & FL_GROUP_COMMIT_ID) != 0) {
            text += " cid=" + Long.toUnsignedString(commitId);
        }
        return text;
    }

    /**
     * {@code XA PREPARE xid}, or {@code XA COMMIT xid ONE PHASE} (XA_prepare_log_event::pack_info); the body is
     * one_phase int<1>, format_id int<4>, gtrid_length int<4>, bqual_length int<4>, then the XID's bytes.
     */
    private static String xaPrepare(byte[] e, int end) {
        int body = LogEvent.LOG_EVENT_HEADER_LEN;
        String xid = xid(e, body + 1, (int) LogEvent.uint32(e, body + 5), (int) LogEvent.uint32(e, body + 9),
                body + 13);
        return e[body] != 0 ? "XA COMMIT " + xid + " ONE PHASE" : "XA PREPARE " + xid;
    }

    /** An XID as MariaDB serializes it: {@code X'gtrid',X'bqual',formatID}, the parts in lower-case hex. */
    private static String xid(byte[] e, int formatIdAt, int gtridLength, int bqualLength, int dataAt) {
        java.util.HexFormat hex = java.util.HexFormat.of();
        return "X'" + hex.formatHex(e, dataAt, dataAt + gtridLength) + "',X'"
                + hex.formatHex(e, dataAt + gtridLength, dataAt + gtridLength + bqualLength) + "',"
                + (int) LogEvent.uint32(e, formatIdAt);
    }

    private static String text(byte[] e, int from, int to) {
        return to <= from ? "" : new String(e, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static int int2(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static long int6(byte[] b, int i) {
        return LogEvent.uint32(b, i) | (long) int2(b, i + 4) << 32;
    }

    private static long int8(byte[] b, int i) {
        return LogEvent.uint32(b, i) | LogEvent.uint32(b, i + 4) << 32;
    }
}
