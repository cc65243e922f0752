package kingbus.raft;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
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
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class EntryCodec {

    public static final byte BARRIER = 0;
    public static final byte BINLOG = 1;

    private EntryCodec() {}

    public static byte[] barrier(long term) {
        return java.nio.ByteBuffer.allocate(1 + Long.BYTES).put(BARRIER).putLong(term).array();
    }

    public static byte[] binlog(List<Chunk> chunks) {
        int size = 1 + Integer.BYTES;
        for (Chunk chunk : chunks) {
            size += 2 + chunk.file().length() * 3 + Long.BYTES + Integer.BYTES + chunk.events().length;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(size);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(BINLOG);
            out.writeInt(chunks.size());
            for (Chunk chunk : chunks) {
                out.writeUTF(chunk.file());
                out.writeLong(chunk.startPosition());
                out.writeInt(chunk.events().length);
                out.write(chunk.events());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Builds a BINLOG entry from byte ranges without copying them first (the syncer's path).
     * Not thread-safe.
     */
    public static final class BinlogEntryBuilder {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);
        private int chunks;
        private ByteArrayOutputStream pending;
        private String pendingFile;
        private long pendingStart;
        private long pendingEnd;

        /** Adds raw events at {@code startPosition} of {@code file}; contiguous ranges are merged. */
        public BinlogEntryBuilder add(String file, long startPosition, byte[] events, int offset, int length) {
            if (pending != null && file.equals(pendingFile) && startPosition == pendingEnd) {
                pending.write(events, offset, length);
                pendingEnd += length;
                return this;
            }
            flushPending();
            pending = new ByteArrayOutputStream(Math.max(length, 256));
            pending.write(events, offset, length);
            pendingFile = file;
            pendingStart = startPosition;
            pendingEnd = startPosition + length;
            return this;
        }

        public boolean isEmpty() {
            return chunks == 0 && pending == null;
        }

        private void flushPending() {
            if (pending == null) {
                return;
            }
            try {
                out.writeUTF(pendingFile);
                out.writeLong(pendingStart);
                out.writeInt(pending.size());
                pending.writeTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            chunks++;
            pending = null;
        }

        public byte[] build() {
            flushPending();
            byte[] body = bytes.toByteArray();
            byte[] entry = new byte[1 + Integer.BYTES + body.length];
            java.nio.ByteBuffer.wrap(entry).put(BINLOG).putInt(chunks).put(body);
            return entry;
        }
    }

    /** The kind byte of an entry. */
    public static byte kind(byte[] data, int offset) {
        return data[offset];
    }

    /** The chunks of a BINLOG entry. */
    public static List<Chunk> chunks(byte[] data, int offset, int length) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, offset, length));
            byte kind = in.readByte();
            if (kind != BINLOG) {
                throw new IllegalArgumentException("Not a binlog entry: kind " + kind);
            }
            int count = in.readInt();
            List<Chunk> chunks = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String file = in.readUTF();
                long start = in.readLong();
                byte[] events = in.readNBytes(in.readInt());
                chunks.add(new Chunk(file, start, events));
            }
            return chunks;
        } catch (IOException e) {
            throw new IllegalArgumentException("A Raft entry cannot be decoded: " + e.getMessage(), e);
        }
    }
}
