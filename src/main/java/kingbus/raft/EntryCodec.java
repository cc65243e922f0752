package kingbus.raft;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import kingbus.store.Chunk;

/**
 * The bytes of a Kingbus Raft entry.
 *
 * <pre>
 *   byte kind
 *   kind BARRIER (0): long term          -- proposed by a new leader; applying it changes nothing,
 *                                           committing it means every earlier entry is applied
 *   kind BINLOG  (1): int chunkCount, then per chunk:
 *                     utf file | long startPosition | int length | byte[length] raw events
 *   kind PURGE   (2): utf firstKept      -- drop every binlog file before firstKept (see BinlogStore#purgeTo)
 *   kind BINLOG_CHECKED (3): as BINLOG, then int CRC-32C of every byte before it, the kind included
 *   kind MASTER  (4): utf host | int port -- the master an operator chose (MasterChoice); an empty host
 *                                           clears the choice: each node's configured master again
 * </pre>
 *
 * <p>Binlog entries are written as BINLOG_CHECKED: an entry whose bytes changed after it was proposed (on a
 * node's disk, in its Raft log, or in memory) is refused when it is applied ({@link RaftEntryCorruptException})
 * instead of stored and served. BINLOG entries, of logs written before the checksum, are still read.
 *
 * <p>Stateless and thread-safe.
 */
public final class EntryCodec {

    public static final byte BARRIER = 0;
    public static final byte BINLOG = 1;
    public static final byte PURGE = 2;
    public static final byte BINLOG_CHECKED = 3;
    public static final byte MASTER = 4;

    private EntryCodec() {}

    public static byte[] barrier(long term) {
        return java.nio.ByteBuffer.allocate(1 + Long.BYTES).put(BARRIER).putLong(term).array();
    }

    public static byte[] purge(String firstKept) {
        return smallEntry(PURGE, out -> out.writeUTF(firstKept));
    }

    /** A MASTER entry: {@code choice}, or, when null, back to each node's configured master. */
    public static byte[] master(MasterChoice choice) {
        return smallEntry(MASTER, out -> {
            out.writeUTF(choice == null ? "" : choice.host());
            out.writeInt(choice == null ? 0 : choice.port());
        });
    }

    /**
     * The choice of a MASTER entry, or null when it clears the choice.
     *
     * @throws IllegalArgumentException when the entry is not a well-formed MASTER entry
     */
    public static MasterChoice masterOf(byte[] data, int offset, int length) {
        return readSmallEntry(data, offset, length, MASTER, "master", in -> {
            String host = in.readUTF();
            int port = in.readInt();
            return host.isEmpty() ? null : new MasterChoice(host, port);
        });
    }

    /** The first file kept by a PURGE entry. */
    public static String purgedTo(byte[] data, int offset, int length) {
        return readSmallEntry(data, offset, length, PURGE, "purge", in -> in.readUTF());
    }

    /** Writes the fields of a small entry after its kind byte. */
    private interface FieldWriter {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads the fields of a small entry after its kind byte. */
    private interface FieldReader<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** A PURGE or MASTER entry: {@code kind}, then what {@code fields} writes. */
    private static byte[] smallEntry(byte kind, FieldWriter fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(kind);
            fields.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * What {@code fields} reads from an entry that must be of {@code kind} ({@code what} names it in the error).
     *
     * @throws IllegalArgumentException when the entry is of another kind or too short
     */
    private static <T> T readSmallEntry(byte[] data, int offset, int length, byte kind, String what,
            FieldReader<T> fields) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, offset, length));
            byte actual = in.readByte();
            if (actual != kind) {
                throw new IllegalArgumentException("Not a " + what + " entry: kind " + actual);
            }
            return fields.read(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("A Raft entry cannot be decoded: " + e.getMessage(), e);
        }
    }

    public static byte[] binlog(List<Chunk> chunks) {
        int size = 1 + Integer.BYTES + Integer.BYTES;
        for (Chunk chunk : chunks) {
            size += 2 + chunk.file().length() * 3 + Long.BYTES + Integer.BYTES + chunk.length();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(size);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(BINLOG_CHECKED);
            out.writeInt(chunks.size());
            for (Chunk chunk : chunks) {
                out.writeUTF(chunk.file());
                out.writeLong(chunk.startPosition());
                out.writeInt(chunk.length());
                out.write(chunk.buffer(), chunk.offset(), chunk.length());
            }
            out.writeInt(0); // the checksum's place
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return withChecksum(bytes.toByteArray());
    }

    /** Writes the CRC-32C of every byte but the last four into the last four. */
    private static byte[] withChecksum(byte[] entry) {
        java.nio.ByteBuffer.wrap(entry).putInt(entry.length - Integer.BYTES, checksum(entry, 0, entry.length));
        return entry;
    }

    /** CRC-32C of the {@code length} bytes at {@code offset} but their last four. */
    private static int checksum(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length - Integer.BYTES);
        return (int) crc.getValue();
    }

    /**
     * Builds a BINLOG entry from byte ranges, copying each range once, straight into an entry of
     * exactly the right size (a 40 MB transaction must not be copied several times over on a
     * 512 MiB heap). Contiguous ranges of the same file become one chunk. The ranges are kept by
     * reference until {@link #build}: do not change them meanwhile. Not thread-safe.
     */
    public static final class BinlogEntryBuilder {
        /** One chunk: its file, start position and the ranges that make up its events. */
        private static final class Pending {
            final String name;
            final byte[] file;
            final long start;
            long end;
            final List<byte[]> arrays = new ArrayList<>();
            final List<int[]> ranges = new ArrayList<>(); // {offset, length}

            Pending(String file, long start) {
                this.name = file;
                this.file = modifiedUtf8(file);
                this.start = start;
                this.end = start;
            }
        }

        private final List<Pending> chunks = new ArrayList<>();

        /** Adds raw events at {@code startPosition} of {@code file}; contiguous ranges are merged. */
        public BinlogEntryBuilder add(String file, long startPosition, byte[] events, int offset, int length) {
            Pending last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1);
            if (last == null || last.end != startPosition || !last.name.equals(file)) {
                last = new Pending(file, startPosition);
                chunks.add(last);
            }
            last.arrays.add(events);
            last.ranges.add(new int[] {offset, length});
            last.end += length;
            return this;
        }

        public boolean isEmpty() {
            return chunks.isEmpty();
        }

        public byte[] build() {
            long size = 1 + Integer.BYTES + Integer.BYTES;
            for (Pending chunk : chunks) {
                size += 2 + chunk.file.length + Long.BYTES + Integer.BYTES + (chunk.end - chunk.start);
            }
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("A Raft entry of " + size + " bytes is too large");
            }
            java.nio.ByteBuffer entry = java.nio.ByteBuffer.allocate((int) size);
            entry.put(BINLOG_CHECKED).putInt(chunks.size());
            for (Pending chunk : chunks) {
                entry.putShort((short) chunk.file.length).put(chunk.file).putLong(chunk.start)
                        .putInt((int) (chunk.end - chunk.start));
                for (int i = 0; i < chunk.arrays.size(); i++) {
                    int[] range = chunk.ranges.get(i);
                    entry.put(chunk.arrays.get(i), range[0], range[1]);
                }
            }
            return withChecksum(entry.array());
        }
    }

    /** {@code s} as {@link DataOutputStream#writeUTF} writes it, without the length. */
    private static byte[] modifiedUtf8(String s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length() + 2);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] withLength = bytes.toByteArray();
        return java.util.Arrays.copyOfRange(withLength, 2, withLength.length);
    }

    /** The kind byte of an entry. */
    public static byte kind(byte[] data, int offset) {
        return data[offset];
    }

    /** True for the kinds that hold binlog events: BINLOG_CHECKED, and BINLOG of older logs. */
    public static boolean isBinlog(byte kind) {
        return kind == BINLOG_CHECKED || kind == BINLOG;
    }

    /**
     * The chunks of a binlog entry. Their events are ranges of {@code data}, not copies: {@code data} must not
     * change while they are in use.
     *
     * @throws RaftEntryCorruptException when a BINLOG_CHECKED entry fails its CRC-32C
     */
    public static List<Chunk> chunks(byte[] data, int offset, int length) {
        if (length > 0 && data[offset] == BINLOG_CHECKED) {
            if (length < 1 + Integer.BYTES + Integer.BYTES) {
                throw new RaftEntryCorruptException("A Raft entry of " + length + " bytes is too short for a binlog"
                        + " entry");
            }
            int stored = java.nio.ByteBuffer.wrap(data, offset + length - Integer.BYTES, Integer.BYTES).getInt();
            int computed = checksum(data, offset, length);
            if (stored != computed) {
                throw new RaftEntryCorruptException(String.format("A Raft entry of %d bytes fails its CRC-32C (%08x"
                        + " stored, %08x computed): its bytes changed after it was proposed", length, stored,
                        computed));
            }
            length -= Integer.BYTES;
        }
        ByteArrayInputStream bytes = new ByteArrayInputStream(data, offset, length);
        try {
            DataInputStream in = new DataInputStream(bytes);
            byte kind = in.readByte();
            if (!isBinlog(kind)) {
                throw new IllegalArgumentException("Not a binlog entry: kind " + kind);
            }
            int count = in.readInt();
            List<Chunk> chunks = new ArrayList<>(Math.max(0, Math.min(count, 1024)));
            for (int i = 0; i < count; i++) {
                String file = in.readUTF();
                long start = in.readLong();
                int eventsLength = in.readInt();
                if (eventsLength < 0 || eventsLength > bytes.available()) {
                    throw new IllegalArgumentException("A Raft entry cannot be decoded: a chunk of " + eventsLength
                            + " bytes where " + bytes.available() + " are left");
                }
                int at = offset + length - bytes.available();
                chunks.add(new Chunk(file, start, data, at, eventsLength));
                in.skipNBytes(eventsLength);
            }
            return chunks;
        } catch (IOException e) {
            throw new IllegalArgumentException("A Raft entry cannot be decoded: " + e.getMessage(), e);
        }
    }
}
