package kingbus.store;

/**
 * One committed binlog event exactly as the master wrote it (header, body and checksum, if any).
 *
 * @param file the binlog file the event belongs to
 * @param position the event's start position in that file
 * @param bytes the event's raw bytes; owned by the caller, never modified by the store
 *
 * <p>Immutable by convention (do not modify {@code bytes}); thread-safe.
 */
public record StoredEvent(String file, long position, byte[] bytes) {

    /** Position just after this event in its file (the header's {@code log_pos} on the master). */
    public long endPosition() {
        return position + bytes.length;
    }
}
