package kingbus.protocol.codec;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * MySQL packet framing over a byte stream: {@code int<3> payload_length | int<1> sequence_id |
 * payload}. A logical payload of {@value #MAX_PACKET_LENGTH} bytes or more is split into packets
 * of that size, and a payload whose length is an exact multiple of it ends with an empty packet.
 * Sequence ids count up per packet and wrap at 256; {@link #resetSequence()} starts a new command.
 *
 * <p>Not thread-safe: one instance per connection, used by one thread at a time.
 */
public final class PacketIO {

    /** Largest payload of one packet: 2^24 - 1. */
    public static final int MAX_PACKET_LENGTH = 0xFF_FFFF;
    /** Packet header: int<3> length + int<1> sequence id. */
    public static final int PACKET_HEADER_LENGTH = 4;

    private final InputStream in;
    private final OutputStream out;
    private final int maxPayload;
    private final byte[] header = new byte[PACKET_HEADER_LENGTH];
    private int sequence;

    /**
     * @param maxPayload the largest logical payload accepted from the peer; a longer one is refused
     *     before it is read into memory
     */
    public PacketIO(InputStream in, OutputStream out, int maxPayload) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 64 * 1024);
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 64 * 1024);
        this.maxPayload = maxPayload;
    }

    /** Starts a new command: the next packet read or written has sequence id 0. */
    public void resetSequence() {
        sequence = 0;
    }

    public int sequence() {
        return sequence;
    }

    /**
     * Reads one logical payload, joining split packets.
     *
     * @throws EOFException when the peer closed the connection before a packet
     * @throws PacketTooLargeException when the payload would exceed the limit
     */
    public byte[] read() throws IOException {
        int length = readHeader();
        if (length > maxPayload) {
            throw new PacketTooLargeException(length, maxPayload);
        }
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
            throw new EOFException("The connection closed inside a packet of " + length + " bytes");
        }
        while (length == MAX_PACKET_LENGTH) {
            length = readHeader();
            if ((long) payload.length + length > maxPayload) {
                throw new PacketTooLargeException((long) payload.length + length, maxPayload);
            }
            byte[] next = in.readNBytes(length);
            if (next.length < length) {
                throw new EOFException("The connection closed inside a packet of " + length + " bytes");
            }
            byte[] joined = new byte[payload.length + next.length];
            System.arraycopy(payload, 0, joined, 0, payload.length);
            System.arraycopy(next, 0, joined, payload.length, next.length);
            payload = joined;
        }
        return payload;
    }

    private int readHeader() throws IOException {
        int n = in.readNBytes(header, 0, PACKET_HEADER_LENGTH);
        if (n < PACKET_HEADER_LENGTH) {
            throw new EOFException(n == 0 ? "The connection closed" : "The connection closed inside a packet header");
        }
        int length = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16;
        sequence = ((header[3] & 0xFF) + 1) & 0xFF;
        return length;
    }

    /** Writes one logical payload (buffered; call {@link #flush()}). */
    public void write(byte[] payload) throws IOException {
        write(payload, 0, payload.length);
    }

    /** Writes {@code length} bytes of {@code payload} from {@code offset} as one logical payload. */
    public void write(byte[] payload, int offset, int length) throws IOException {
        int remaining = length;
        int at = offset;
        while (true) {
            int chunk = Math.min(remaining, MAX_PACKET_LENGTH);
            writeHeader(chunk);
            out.write(payload, at, chunk);
            at += chunk;
            remaining -= chunk;
            if (chunk < MAX_PACKET_LENGTH) {
                return;
            }
        }
    }

    /**
     * Writes a payload made of a prefix byte and a body without first joining them (the 0x00 OK
     * byte before a binlog event).
     */
    public void write(int prefix, byte[] body, int offset, int length) throws IOException {
        write(new byte[] {(byte) prefix}, body, offset, length);
    }

    /**
     * Writes a payload made of a short prefix and a body without first joining them (the 0x00 OK
     * byte, and for a semi-sync replica the 0xEF magic and flag byte, before a binlog event).
     */
    public void write(byte[] prefix, byte[] body, int offset, int length) throws IOException {
        long remaining = (long) prefix.length + length;
        int prefixLeft = prefix.length;
        int at = offset;
        while (true) {
            int chunk = (int) Math.min(remaining, MAX_PACKET_LENGTH);
            writeHeader(chunk);
            int fromPrefix = Math.min(prefixLeft, chunk);
            if (fromPrefix > 0) {
                out.write(prefix, prefix.length - prefixLeft, fromPrefix);
                prefixLeft -= fromPrefix;
            }
            int bodyBytes = chunk - fromPrefix;
            out.write(body, at, bodyBytes);
            at += bodyBytes;
            remaining -= chunk;
            if (chunk < MAX_PACKET_LENGTH) {
                return;
            }
        }
    }

    /**
     * Sets the sequence id of the next packet written or read (MariaDB's semi-sync master restarts
     * the count after each event it wants acknowledged, so the next event goes out as 1).
     */
    public void sequence(int next) {
        sequence = next & 0xFF;
    }

    /**
     * Takes the bytes already read from the peer but not yet framed (without blocking): the start
     * of a TLS handshake that follows an SSLRequest, for the TLS layer to read first.
     */
    public byte[] takeBuffered() throws IOException {
        return in.readNBytes(in.available());
    }

    /**
     * A framer that reads from the same buffered input with its own sequence count and writes
     * nothing: for a thread that reads a peer's packets while another one writes on this.
     */
    public PacketIO inputOnly(int maxPayload) {
        return new PacketIO(in, OutputStream.nullOutputStream(), maxPayload);
    }

    private void writeHeader(int length) throws IOException {
        out.write(length & 0xFF);
        out.write((length >>> 8) & 0xFF);
        out.write((length >>> 16) & 0xFF);
        out.write(sequence);
        sequence = (sequence + 1) & 0xFF;
    }

    public void flush() throws IOException {
        out.flush();
    }
}
