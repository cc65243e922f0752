package kingbus.store;

import java.util.Arrays;
import kingbus.protocol.binlog.LogEvent;

/**
 * One committed binlog event exactly as the master wrote it (header, body and checksum, if any): a
 * slice of a buffer the store shares between readers, so that a dump can send it without a copy.
 *
 * @param file the binlog file the event belongs to
 * @param position the event's start position in that file
 * @param buffer the buffer the event lies in; read it, never modify it
 * @param offset where the event starts in {@code buffer}
 * @param length the event's size in bytes
 *
 * <p>Immutable: nobody may modify {@code buffer}; thread-safe.
 */
public record StoredEvent(String file, long position, byte[] buffer, int offset, int length) {

    /** An event that is the whole of {@code bytes}. */
    public StoredEvent(String file, long position, byte[] bytes) {
        this(file, position, bytes, 0, bytes.length);
    }

    /** Position just after this event in its file (the header's {@code log_pos} on the master). */
    public long endPosition() {
        return position + length;
    }

    /** The event's type code (the header's {@code type_code}). */
    public int type() {
        return buffer[offset + LogEvent.EVENT_TYPE_OFFSET] & 0xFF;
    }

    /** The event as an array of its own: a copy when it is a slice of a larger buffer. */
    public byte[] bytes() {
        return offset == 0 && length == buffer.length ? buffer : Arrays.copyOfRange(buffer, offset, offset + length);
    }
}
