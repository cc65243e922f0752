package kingbus.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * Whole binlog events that lie back to back in one file of the master, as a Raft entry carries
 * them: the unit the store appends.
 *
 * <p>The events are a range of {@code buffer}, usually the Raft entry they came in: decoding an entry
 * does not copy its events (a 1 MiB entry was copied twice and zeroed on every node before the store
 * copied it into its segments; docs/BENCHMARKS.md, "P1: where a node's CPU goes").
 *
 * @param file the master's binlog file name
 * @param startPosition position of the first event in that file
 * @param buffer holds the raw events (header, body, checksum), concatenated, from {@code offset}
 * @param offset where the first event starts in {@code buffer}
 * @param length how many bytes of {@code buffer} the events take
 *
 * <p>Immutable by convention (nobody writes to {@code buffer} while a chunk refers to it); thread-safe.
 */
public record Chunk(String file, long startPosition, byte[] buffer, int offset, int length) {

    public Chunk {
        Objects.requireNonNull(file, "file");
        Objects.checkFromIndexSize(offset, length, buffer.length);
    }

    /** Events that fill {@code events} whole. */
    public Chunk(String file, long startPosition, byte[] events) {
        this(file, startPosition, events, 0, events.length);
    }

    /** Position just after the last event of the chunk. */
    public long endPosition() {
        return startPosition + length;
    }

    /** Where the events end in {@code buffer}: the index after their last byte. */
    public int endOffset() {
        return offset + length;
    }

    /** The events as an array of their own: {@code buffer} itself when they fill it, else a copy. */
    public byte[] events() {
        return offset == 0 && length == buffer.length ? buffer : Arrays.copyOfRange(buffer, offset, endOffset());
    }
}
