package kingbus.store;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Compression at rest of a segment's events with zstd (zstd-jni), for {@code kingbus.store.compression}.
 *
 * <p>A stored segment is {@code int fileOrdinal | long startPosition | int crc32c | events}. A compressed one
 * sets bit 31 of {@code fileOrdinal} (ordinals are never negative) and holds {@code int eventsLength | one zstd
 * frame} (with zstd's own content checksum) in place of the events. The CRC-32C covers the stored bytes, so
 * damage on disk is found without decompressing. What readers get is always the plain form: the events come
 * out byte for byte as they went in.
 *
 * <p>Stateless and thread-safe.
 */
final class SegmentCompression {

    /** Set in a stored segment's ordinal field when its events are compressed. */
    static final int COMPRESSED_FLAG = 0x8000_0000;
    /** The zstd levels a setting may name (zstd's own range, without the negative "fast" levels). */
    static final int MIN_LEVEL = 1;
    static final int MAX_LEVEL = 22;

    private SegmentCompression() {
    }

    /**
     * Loads zstd-jni's native library now, so a host where it cannot load (e.g. a {@code noexec} temporary
     * directory) fails at start with a clear message, not at the first append.
     *
     * @throws IllegalStateException naming the setting and why the library did not load
     */
    static void requireAvailable() {
        try {
            Zstd.compressBound(1);
        } catch (LinkageError e) {
            throw new IllegalStateException("kingbus.store.compression=zstd needs zstd-jni's native library, which"
                    + " did not load (" + e + "); it is extracted to java.io.tmpdir, which must allow executables", e);
        }
    }

    /** True when a stored segment (at least its header) holds compressed events. */
    static boolean isCompressed(byte[] stored) {
        return (ByteBuffer.wrap(stored).getInt(0) & COMPRESSED_FLAG) != 0;
    }

    /**
     * The stored form of a plain segment ({@code header | events}, header of {@code headerLength} bytes):
     * compressed at {@code level} when that makes it smaller, otherwise {@code plain} itself (no copy). The
     * caller sets the CRC of a compressed result.
     *
     * @throws IllegalStateException when zstd fails (the caller then stores the segment plain)
     */
    static byte[] compress(byte[] plain, int headerLength, int level) {
        int eventsLength = plain.length - headerLength;
        int compressedStart = headerLength + Integer.BYTES;
        byte[] out = new byte[compressedStart + (int) Zstd.compressBound(eventsLength)];
        long size;
        try {
            size = Zstd.compressByteArray(out, compressedStart, out.length - compressedStart, plain, headerLength,
                    eventsLength, level, true);
        } catch (ZstdException e) {
            throw new IllegalStateException("zstd could not compress a segment: " + e.getMessage(), e);
        }
        if (Zstd.isError(size)) {
            throw new IllegalStateException("zstd could not compress a segment: " + Zstd.getErrorName(size));
        }
        if (compressedStart + size >= plain.length) {
            return plain; // already compressed data (compressed events, encrypted payloads): kept as it is
        }
        ByteBuffer buffer = ByteBuffer.wrap(out);
        buffer.putInt(0, ByteBuffer.wrap(plain).getInt(0) | COMPRESSED_FLAG);
        buffer.putLong(Integer.BYTES, ByteBuffer.wrap(plain).getLong(Integer.BYTES));
        buffer.putInt(headerLength, eventsLength);
        return Arrays.copyOf(out, compressedStart + (int) size);
    }

    /**
     * The plain form ({@code header | events}, the flag cleared) of a stored compressed segment whose CRC
     * was checked.
     *
     * @throws StoreCorruptException (without location; the caller adds it) when the frame does not
     *     decompress to exactly the recorded length
     */
    static byte[] decompress(byte[] stored, int headerLength) {
        if (stored.length < headerLength + Integer.BYTES) {
            throw new StoreCorruptException("its compressed form is truncated");
        }
        int eventsLength = ByteBuffer.wrap(stored).getInt(headerLength);
        if (eventsLength < 0) {
            throw new StoreCorruptException("its compressed form records a negative length");
        }
        byte[] plain = new byte[headerLength + eventsLength];
        System.arraycopy(stored, 0, plain, 0, headerLength);
        int compressedStart = headerLength + Integer.BYTES;
        long size;
        try {
            size = Zstd.decompressByteArray(plain, headerLength, eventsLength, stored, compressedStart,
                    stored.length - compressedStart);
        } catch (ZstdException e) {
            throw new StoreCorruptException("its zstd frame does not decompress to its " + eventsLength + " bytes ("
                    + e.getMessage() + ")");
        }
        if (size != eventsLength) {
            throw new StoreCorruptException("its zstd frame decompresses to " + size + " bytes, not to its "
                    + eventsLength);
        }
        ByteBuffer.wrap(plain).putInt(0, ByteBuffer.wrap(stored).getInt(0) & ~COMPRESSED_FLAG);
        return plain;
    }
}
