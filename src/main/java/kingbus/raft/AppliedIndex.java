package kingbus.raft;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The Raft index of the newest entry this node's store has applied, with where the store ended then, kept in a small
 * file beside the Raft log. JGroups-raft replays its whole log into the state machine at every start (up to
 * {@code kingbus.raft.max-log-bytes}, 16 GiB by default, every entry read and offered to the store again); with this
 * mark a start replays only the entries after it.
 *
 * <p>Written after each store sync ({@link BoundedResendRaft}), with the newest entry applied before the sync began,
 * without fsync of its own: the store's writes are durable by then, so whatever of this file reaches the disk never
 * claims more than the store holds. A torn or missing record (its CRC-32C) means a full
 * replay, as without the file. Record: int magic | long index | short name length | name (UTF-8) | long position |
 * int CRC-32C of what precedes it.
 *
 * <p>Thread-safety: not for concurrent use; {@link BoundedResendRaft} reads it before RAFT starts and records under
 * its own lock.
 */
final class AppliedIndex implements AutoCloseable {

    /** "KBAI". */
    private static final int MAGIC = 0x4B424149;
    private static final int MAX_NAME_BYTES = 512;

    /**
     * An applied entry and the store's end after it.
     *
     * @param index the entry's Raft index
     * @param file the store's newest binlog file then, or empty when it held none
     * @param position that file's end then
     */
    record Mark(long index, String file, long position) {}

    private final Path path;
    private final ByteBuffer buffer = ByteBuffer.allocate(4 + 8 + 2 + MAX_NAME_BYTES + 8 + 4);
    private final CRC32C crc = new CRC32C();
    private FileChannel channel;

    AppliedIndex(Path path) {
        this.path = path;
    }

    /** The mark last recorded, or empty when there is none or it cannot be trusted. */
    Optional<Mark> read() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.getInt() != MAGIC) {
                return Optional.empty();
            }
            long index = in.getLong();
            int nameLength = in.getShort();
            if (nameLength < 0 || nameLength > MAX_NAME_BYTES) {
                return Optional.empty();
            }
            String file = new String(bytes, in.position(), nameLength, StandardCharsets.UTF_8);
            in.position(in.position() + nameLength);
            long position = in.getLong();
            int covered = in.position();
            int stored = in.getInt();
            CRC32C check = new CRC32C();
            check.update(bytes, 0, covered);
            return (int) check.getValue() == stored && index >= 0
                    ? Optional.of(new Mark(index, file, position)) : Optional.empty();
        } catch (RuntimeException e) { // too short: a torn write
            return Optional.empty();
        }
    }

    /** Records {@code mark}, overwriting the previous one in place. */
    void record(Mark mark) throws IOException {
        byte[] name = mark.file().getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_NAME_BYTES) {
            return; // no binlog file name is this long; the older mark stays (a longer replay, never a wrong one)
        }
        buffer.clear();
        buffer.putInt(MAGIC).putLong(mark.index()).putShort((short) name.length).put(name).putLong(mark.position());
        crc.reset();
        crc.update(buffer.array(), 0, buffer.position());
        buffer.putInt((int) crc.getValue());
        buffer.flip();
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
        for (long at = 0; buffer.hasRemaining(); ) {
            at += channel.write(buffer, at);
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
