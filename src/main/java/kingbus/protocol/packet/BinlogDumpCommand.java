package kingbus.protocol.packet;

import kingbus.protocol.codec.PayloadReader;

/**
 * COM_BINLOG_DUMP: {@code int<1> 0x12 | int<4> binlog_pos | int<2> flags | int<4> server_id |
 * string<EOF> binlog_filename}.
 *
 * @param position where to start in the file (MariaDB GTID mode sends 4 or 0 and an empty name)
 * @param flags BINLOG_DUMP_NON_BLOCK and BINLOG_SEND_ANNOTATE_ROWS_EVENT
 * @param serverId the replica's server id (0 from mariadb-binlog without --stop-never)
 * @param file the file name, possibly empty
 */
public record BinlogDumpCommand(long position, int flags, long serverId, String file) {

    /** BINLOG_DUMP_NON_BLOCK: end the stream with EOF at the end of the log instead of waiting. */
    public static final int BINLOG_DUMP_NON_BLOCK = 0x01;
    /** BINLOG_SEND_ANNOTATE_ROWS_EVENT: MariaDB, send ANNOTATE_ROWS events. */
    public static final int BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02;

    public static BinlogDumpCommand parse(byte[] payload) {
        PayloadReader in = new PayloadReader(payload, 1);
        long position = in.int4();
        int flags = in.int2();
        long serverId = in.int4();
        return new BinlogDumpCommand(position, flags, serverId, in.stringEof());
    }

    public boolean nonBlocking() {
        return (flags & BINLOG_DUMP_NON_BLOCK) != 0;
    }

    public boolean sendAnnotateRows() {
        return (flags & BINLOG_SEND_ANNOTATE_ROWS_EVENT) != 0;
    }
}
