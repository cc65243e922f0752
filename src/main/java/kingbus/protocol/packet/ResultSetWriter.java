package kingbus.protocol.packet;

import java.util.ArrayList;
import java.util.List;
import kingbus.protocol.codec.PayloadWriter;

/**
 * Builds a text-protocol result set: column count, column definitions, EOF (unless
 * CLIENT_DEPRECATE_EOF), rows, and the closing EOF/OK. Every column is sent as VARCHAR, as MySQL
 * does for {@code SHOW} statements; a null value is sent as NULL (0xFB).
 *
 * <p>Not thread-safe; build one per answer.
 */
public final class ResultSetWriter {

    /** MYSQL_TYPE_VAR_STRING */
    static final int MYSQL_TYPE_VAR_STRING = 0xFD;
    /** Length of the fixed fields after the column name (lenenc 0x0c). */
    static final int COLUMN_FIXED_FIELDS_LENGTH = 0x0C;
    /** NULL in a text row. */
    static final int NULL_VALUE = 0xFB;

    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();

    public ResultSetWriter(List<String> columns) {
        this.columns = List.copyOf(columns);
    }

    public static ResultSetWriter of(String... columns) {
        return new ResultSetWriter(List.of(columns));
    }

    /** Adds a row; values may be null. */
    public ResultSetWriter row(String... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("A row has " + values.length + " values for " + columns.size()
                    + " columns");
        }
        rows.add(java.util.Arrays.asList(values));
        return this;
    }

    /** The packets of the result set, in order. */
    public List<byte[]> packets(boolean deprecateEof) {
        List<byte[]> packets = headerPackets(deprecateEof);
        for (List<String> row : rows) {
            packets.add(rowPacket(row));
        }
        packets.add(Packets.endOfRows(deprecateEof));
        return packets;
    }

    /**
     * The packets before the rows (column count, definitions, and an EOF unless {@code deprecateEof}), for a result
     * streamed row by row with {@link #rowPacket} and closed with {@link Packets#endOfRows}.
     */
    public List<byte[]> headerPackets(boolean deprecateEof) {
        List<byte[]> packets = new ArrayList<>();
        packets.add(new PayloadWriter(9).intLenenc(columns.size()).toByteArray());
        for (String column : columns) {
            packets.add(new PayloadWriter(64)
                    .stringLenenc("def").stringLenenc("").stringLenenc("").stringLenenc("")
                    .stringLenenc(column).stringLenenc("")
                    .intLenenc(COLUMN_FIXED_FIELDS_LENGTH)
                    .int2(Packets.UTF8MB4_GENERAL_CI)
                    .int4(1024)
                    .int1(MYSQL_TYPE_VAR_STRING)
                    .int2(0)
                    .int1(0)
                    .int2(0)
                    .toByteArray());
        }
        if (!deprecateEof) {
            packets.add(Packets.eof());
        }
        return packets;
    }

    /** One text row of values already encoded as the client reads them (none null). */
    public static byte[] rowPacket(byte[]... values) {
        int length = 0;
        for (byte[] value : values) {
            length += value.length + 9;
        }
        PayloadWriter out = new PayloadWriter(length);
        for (byte[] value : values) {
            out.bytesLenenc(value);
        }
        return out.toByteArray();
    }

    /** One text row (values may be null). */
    public static byte[] rowPacket(List<String> values) {
        PayloadWriter out = new PayloadWriter(64);
        for (String value : values) {
            if (value == null) {
                out.int1(NULL_VALUE);
            } else {
                out.stringLenenc(value);
            }
        }
        return out.toByteArray();
    }
}
