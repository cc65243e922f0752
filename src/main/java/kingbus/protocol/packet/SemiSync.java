package kingbus.protocol.packet;

import java.nio.charset.StandardCharsets;
import kingbus.protocol.codec.MalformedPacketException;
import kingbus.protocol.codec.PayloadReader;

/**
 * MariaDB's semi-synchronous replication framing (semisync.h): for a replica that set
 * {@code @rpl_semi_sync_slave = 1}, every event packet of its dump carries
 * {@code 0x00 | k_packet_magic_num | flags} before the event, and an event whose flags have
 * {@code k_packet_flag_sync} is answered by the replica with an ack packet
 * {@code k_packet_magic_num | int<8> position | file name}.
 *
 * <p>Stateless and thread-safe.
 */
public final class SemiSync {

    /** k_packet_magic_num: the first byte after the OK byte of a semi-sync event packet, and of an ack. */
    public static final int K_PACKET_MAGIC_NUM = 0xEF;
    /** k_packet_flag_sync: the replica must acknowledge this event. */
    public static final int K_PACKET_FLAG_SYNC = 0x01;
    /** REPLY_BINLOG_NAME_OFFSET: magic (1) + position (8). */
    static final int REPLY_BINLOG_NAME_OFFSET = 9;

    /** Event-packet prefix: OK byte, magic, no ack wanted. */
    private static final byte[] NO_ACK_PREFIX = {Packets.OK_HEADER, (byte) K_PACKET_MAGIC_NUM, 0};
    /** Event-packet prefix: OK byte, magic, ack wanted. */
    private static final byte[] NEED_ACK_PREFIX = {Packets.OK_HEADER, (byte) K_PACKET_MAGIC_NUM, K_PACKET_FLAG_SYNC};

    /** A replica's acknowledgement: it has received the binlog up to {@code position} of {@code file}. */
    public record Ack(String file, long position) {}

    private SemiSync() {}

    /** The bytes that go before an event in a semi-sync replica's dump. */
    public static byte[] eventPrefix(boolean needAck) {
        return (needAck ? NEED_ACK_PREFIX : NO_ACK_PREFIX).clone();
    }

    /** Reads an ack packet; anything else is malformed. */
    public static Ack parseAck(byte[] payload) {
        if (payload.length <= REPLY_BINLOG_NAME_OFFSET || (payload[0] & 0xFF) != K_PACKET_MAGIC_NUM) {
            throw new MalformedPacketException("not a semi-sync ack (" + payload.length + " bytes"
                    + (payload.length > 0 ? ", first 0x" + Integer.toHexString(payload[0] & 0xFF) : "") + ")");
        }
        PayloadReader in = new PayloadReader(payload, 1);
        long position = in.int8();
        int end = payload.length;
        while (end > REPLY_BINLOG_NAME_OFFSET && payload[end - 1] == 0) {
            end--; // some replicas send the name's terminating NUL
        }
        String file = new String(payload, REPLY_BINLOG_NAME_OFFSET, end - REPLY_BINLOG_NAME_OFFSET,
                StandardCharsets.UTF_8);
        if (file.isEmpty() || position < 4) {
            throw new MalformedPacketException("a semi-sync ack without a file or with position " + position);
        }
        return new Ack(file, position);
    }
}
