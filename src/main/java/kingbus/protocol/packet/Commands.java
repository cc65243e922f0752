package kingbus.protocol.packet;

/** Command bytes (first byte of a client packet), named and valued as in MySQL's {@code enum_server_command}. */
public final class Commands {

    /** COM_QUIT: close the connection. */
    public static final int COM_QUIT = 0x01;
    /** COM_INIT_DB: change the default schema. */
    public static final int COM_INIT_DB = 0x02;
    /** COM_QUERY: a text statement. */
    public static final int COM_QUERY = 0x03;
    /** COM_PING */
    public static final int COM_PING = 0x0E;
    /** COM_BINLOG_DUMP: stream the binlog from a file and position. */
    public static final int COM_BINLOG_DUMP = 0x12;
    /** COM_REGISTER_SLAVE: a replica announces itself. */
    public static final int COM_REGISTER_SLAVE = 0x15;
    /** COM_BINLOG_DUMP_GTID: MySQL's dump from a GTID set. */
    public static final int COM_BINLOG_DUMP_GTID = 0x1E;

    private Commands() {}
}
