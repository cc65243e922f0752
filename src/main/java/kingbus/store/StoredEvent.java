package kingbus.store;

import java.util.Arrays;
import kingbus.protocol.binlog.LogEvent;

/**
 * One committed binlog event exactly as the master wrote it (header, body and checksum, if any): a
 * slice of a buffer the store shares between readers, so that a dump can send it without a copy.
 *
 * <p>Immutable: nobody may modify {@link #buffer()}; thread-safe.
 */
public final class StoredEvent {
    private final String file;
    private final long position;
    private final byte[] buffer;
    private final int offset;
    private final int length;

    /** An event that is the whole of {@code bytes}. */
    public StoredEvent(String file, long position, byte[] bytes) {
        this(file, position, bytes, 0, bytes.length);
    }

    /** An event that is {@code buffer[offset, offset + length)}. */
    public StoredEvent(String file, long position, byte[] buffer, int offset, int length) {
        this.file = file;
        this.position = position;
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
    }

    /** The binlog file the event belongs to. */
    public String file() {
        return file;
    }

    /** The event's start position in its file. */
    public long position() {
        return position;
    }

    /** Position just after this event in its file (the header's {@code log_pos} on the master). */
    public long endPosition() {
        return position + length;
    }

    /** The event's size in bytes. */
    public int length() {
        return length;
    }

    /** The event's type code (the header's {@code type_code}). */
    public int type() {
        return buffer[offset + LogEvent.EVENT_TYPE_OFFSET] & 0xFF;
    }

    /** The event as an array of its own: a copy when it is a slice of a larger buffer. */
    public byte[] bytes() {
        return offset == 0 && length == buffer.length ? buffer : Arrays.copyOfRange(buffer, offset, offset + length);
    }

    /** The buffer the event lies in, at {@link #offset()}; read it, never modify it. */
    public byte[] buffer() {
        return buffer;
    }

    /** Where the event starts in {@link #buffer()}. */
    public int offset() {
        return offset;
    }
}
