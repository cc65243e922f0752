package kingbus.protocol.codec;

import java.nio.charset.StandardCharsets;

/**
 * Reads MySQL protocol primitives from one payload, named after the protocol's types:
 * {@code int<n>} little-endian fixed integers, {@code int<lenenc>}, {@code string<NUL>},
 * {@code string<lenenc>}, {@code string<EOF>}. Reading past the end throws
 * {@link MalformedPacketException}.
 *
 * <p>Not thread-safe.
 */
public final class PayloadReader {

    private final byte[] payload;
    private int position;

    public PayloadReader(byte[] payload) {
        this(payload, 0);
    }

    public PayloadReader(byte[] payload, int position) {
        this.payload = payload;
        this.position = position;
    }

    public int position() {
        return position;
    }

    public int remaining() {
        return payload.length - position;
    }

    public boolean hasRemaining() {
        return position < payload.length;
    }

    private void need(int n) {
        if (n < 0 || payload.length - position < n) {
            throw new MalformedPacketException("The packet ends at byte " + payload.length + ", "
                    + n + " more were expected at byte " + position);
        }
    }

    /** int<1> */
    public int int1() {
        need(1);
        return payload[position++] & 0xFF;
    }

    /** int<2> */
    public int int2() {
        need(2);
        int v = (payload[position] & 0xFF) | (payload[position + 1] & 0xFF) << 8;
        position += 2;
        return v;
    }

    /** int<3> */
    public int int3() {
        need(3);
        int v = (payload[position] & 0xFF) | (payload[position + 1] & 0xFF) << 8
                | (payload[position + 2] & 0xFF) << 16;
        position += 3;
        return v;
    }

    /** int<4>, unsigned */
    public long int4() {
        need(4);
        long v = (payload[position] & 0xFFL) | (payload[position + 1] & 0xFFL) << 8
                | (payload[position + 2] & 0xFFL) << 16 | (payload[position + 3] & 0xFFL) << 24;
        position += 4;
        return v;
    }

    /** int<8> */
    public long int8() {
        long low = int4();
        long high = int4();
        return low | high << 32;
    }

    /** int<lenenc>: 1, 3, 4 or 9 bytes. */
    public long intLenenc() {
        int first = int1();
        return switch (first) {
            case 0xFC -> int2();
            case 0xFD -> int3();
            case 0xFE -> int8();
            case 0xFB, 0xFF -> throw new MalformedPacketException("0x" + Integer.toHexString(first)
                    + " does not start a length-encoded integer");
            default -> first;
        };
    }

    /** string<fix> as bytes */
    public byte[] bytes(int length) {
        need(length);
        byte[] out = new byte[length];
        System.arraycopy(payload, position, out, 0, length);
        position += length;
        return out;
    }

    public void skip(int length) {
        need(length);
        position += length;
    }

    /** string<NUL> */
    public String stringNul() {
        int end = position;
        while (end < payload.length && payload[end] != 0) {
            end++;
        }
        if (end == payload.length) {
            throw new MalformedPacketException("A NUL-terminated string at byte " + position + " has no NUL");
        }
        String s = new String(payload, position, end - position, StandardCharsets.UTF_8);
        position = end + 1;
        return s;
    }

    /** string<lenenc> as bytes */
    public byte[] bytesLenenc() {
        long length = intLenenc();
        if (length > remaining()) {
            throw new MalformedPacketException("A length-encoded string of " + length + " bytes at byte "
                    + position + " runs past the packet");
        }
        return bytes((int) length);
    }

    /** string<lenenc> */
    public String stringLenenc() {
        return new String(bytesLenenc(), StandardCharsets.UTF_8);
    }

    /** string<EOF>: the rest of the payload. */
    public String stringEof() {
        String s = new String(payload, position, remaining(), StandardCharsets.UTF_8);
        position = payload.length;
        return s;
    }

    /** The rest of the payload as bytes. */
    public byte[] bytesEof() {
        return bytes(remaining());
    }
}
