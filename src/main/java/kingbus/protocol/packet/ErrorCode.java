package kingbus.protocol.packet;

/** The server errors Kingbus sends: code and SQL state as in MySQL/MariaDB's {@code mysqld_error.h}. */
public enum ErrorCode {
    /** ER_CON_COUNT_ERROR: too many connections. */
    ER_CON_COUNT_ERROR(1040, "08004"),
    /** ER_ACCESS_DENIED_ERROR: bad user or password. */
    ER_ACCESS_DENIED_ERROR(1045, "28000"),
    /** ER_UNKNOWN_COM_ERROR: a command the server does not know. */
    ER_UNKNOWN_COM_ERROR(1047, "08S01"),
    /** ER_PARSE_ERROR: a statement the server does not understand. */
    ER_PARSE_ERROR(1064, "42000"),
    /** ER_NET_PACKET_TOO_LARGE: a packet over the limit. */
    ER_NET_PACKET_TOO_LARGE(1153, "08S01"),
    /** ER_NET_READ_ERROR: a malformed packet. */
    ER_NET_READ_ERROR(1158, "08S01"),
    /** ER_UNKNOWN_ERROR: a failure without a more specific code. */
    ER_UNKNOWN_ERROR(1105, "HY000"),
    /** ER_WRONG_ARGUMENTS: e.g. a PURGE BINARY LOGS BEFORE value that is not a datetime. */
    ER_WRONG_ARGUMENTS(1210, "HY000"),
    /** ER_ERROR_WHEN_EXECUTING_COMMAND: SHOW BINLOG EVENTS of a file or position that is not held. */
    ER_ERROR_WHEN_EXECUTING_COMMAND(1220, "HY000"),
    /** ER_SPECIFIC_ACCESS_DENIED_ERROR: the statement needs a privilege the user lacks. */
    ER_SPECIFIC_ACCESS_DENIED_ERROR(1227, "42000"),
    /** ER_UNKNOWN_TARGET_BINLOG: PURGE BINARY LOGS TO a file that is not in the index. */
    ER_UNKNOWN_TARGET_BINLOG(1373, "HY000"),
    /** ER_WARN_PURGE_LOG_IN_USE: a purge stopped at a file a replica is reading (a warning). */
    ER_WARN_PURGE_LOG_IN_USE(1867, "HY000"),
    /** ER_NOT_SUPPORTED_YET */
    ER_NOT_SUPPORTED_YET(1235, "42000"),
    /** ER_SECURE_TRANSPORT_REQUIRED: a plain-text login while TLS is required. */
    ER_SECURE_TRANSPORT_REQUIRED(3159, "08004"),
    /** ER_MASTER_FATAL_ERROR_READING_BINLOG: the binlog asked for cannot be served. */
    ER_MASTER_FATAL_ERROR_READING_BINLOG(1236, "HY000");

    private final int code;
    private final String sqlState;

    ErrorCode(int code, String sqlState) {
        this.code = code;
        this.sqlState = sqlState;
    }

    public int code() {
        return code;
    }

    public String sqlState() {
        return sqlState;
    }
}
