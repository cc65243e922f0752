package kingbus.protocol.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one payload from MySQL protocol primitives ({@code int<n>}, {@code int<lenenc>},
 * {@code string<NUL>}, {@code string<lenenc>}, {@code string<EOF>}), growing as needed.
 *
 * <p>Not thread-safe.
 */
public final class PayloadWriter {

    private byte[] buffer;
    private int size;

    public PayloadWriter() {
        this(64);
    }

    public PayloadWriter(int capacity) {
        buffer = new byte[Math.max(16, capacity)];
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }

    /** int<1> */
    public PayloadWriter int1(int v) {
        ensure(1);
        buffer[size++] = (byte) v;
        return this;
    }

    /** int<2> */
    public PayloadWriter int2(int v) {
        ensure(2);
        buffer[size++] = (byte) v;
        buffer[size++] = (byte) (v >>> 8);
        return this;
    }

    /** int<3> */
    public PayloadWriter int3(int v) {
        ensure(3);
        buffer[size++] = (byte) v;
        buffer[size++] = (byte) (v >>> 8);
        buffer[size++] = (byte) (v >>> 16);
        return this;
    }

    /** int<4> */
    public PayloadWriter int4(long v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buffer[size++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** int<8> */
    public PayloadWriter int8(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buffer[size++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** int<lenenc> */
    public PayloadWriter intLenenc(long v) {
        if (v >= 0 && v < 0xFB) {
            return int1((int) v);
        }
        if (v >= 0 && v <= 0xFFFF) {
            return int1(0xFC).int2((int) v);
        }
        if (v >= 0 && v <= 0xFF_FFFF) {
            return int1(0xFD).int3((int) v);
        }
        return int1(0xFE).int8(v);
    }

    public PayloadWriter bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public PayloadWriter bytes(byte[] b, int offset, int length) {
        ensure(length);
        System.arraycopy(b, offset, buffer, size, length);
        size += length;
        return this;
    }

    /** {@code n} zero bytes (reserved fields). */
    public PayloadWriter zeros(int n) {
        ensure(n);
        size += n;
        return this;
    }

    /** string<NUL> */
    public PayloadWriter stringNul(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8)).int1(0);
    }

    /** string<lenenc> */
    public PayloadWriter stringLenenc(String s) {
        return bytesLenenc(s.getBytes(StandardCharsets.UTF_8));
    }

    /** string<lenenc> of bytes */
    public PayloadWriter bytesLenenc(byte[] b) {
        return intLenenc(b.length).bytes(b);
    }

    /** string<EOF> */
    public PayloadWriter stringEof(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }
}
