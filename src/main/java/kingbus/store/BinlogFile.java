package kingbus.store;

import kingbus.gtid.GtidList;

/**
 * One binlog file of the master as the store holds it (committed data only).
 *
 * @param name file name as on the master, e.g. {@code mysql-bin.000003}
 * @param firstPosition position of the first event held: 4 when the file is held from its start
 *     ({@link #whole()}), larger when Kingbus started in the middle of it
 * @param endPosition position just after the last committed event held
 * @param rotated true once the master's ROTATE event that ends this file is stored
 * @param formatDescription raw bytes of this file's FORMAT_DESCRIPTION_EVENT as the master wrote it
 *     (with its checksum), or {@code null} when the file is not held from its start
 * @param startState the GTID position at the start of this file: the master's GTID_LIST_EVENT of
 *     the file (MariaDB), or the state before the first transaction held
 *
 * <p>Immutable and thread-safe.
 */
public record BinlogFile(
        String name,
        long firstPosition,
        long endPosition,
        boolean rotated,
        byte[] formatDescription,
        GtidList startState) {

    /** Position of the first event in every binlog file, after the 4-byte magic {@code \xfebin}. */
    public static final long BIN_LOG_HEADER_SIZE = 4;

    /** True when the file is held from position 4, so it is byte-identical to the master's. */
    public boolean whole() {
        return firstPosition == BIN_LOG_HEADER_SIZE;
    }

    /** Size of the file in bytes as held (the end position). */
    public long size() {
        return endPosition;
    }
}
