package kingbus.store;

/**
 * Whole binlog events that lie back to back in one file of the master, as a Raft entry carries
 * them: the unit the store appends.
 *
 * @param file the master's binlog file name
 * @param startPosition position of the first event of {@code events} in that file
 * @param events the raw events (header, body, checksum), concatenated
 *
 * <p>Immutable by convention; thread-safe.
 */
public record Chunk(String file, long startPosition, byte[] events) {

    /** Position just after the last event of the chunk. */
    public long endPosition() {
        return startPosition + events.length;
    }
}
