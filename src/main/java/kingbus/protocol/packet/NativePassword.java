package kingbus.protocol.packet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The {@code mysql_native_password} scheme: the client sends
 * {@code SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))}; an empty password sends nothing.
 * Hand-written: it is twelve lines over the JDK's SHA-1, and no library offers the server side.
 *
 * <p>Stateless and thread-safe.
 */
public final class NativePassword {

    /** Length of the scramble (auth plugin data). */
    public static final int SCRAMBLE_LENGTH = 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private NativePassword() {}

    /** A new scramble of printable, non-NUL bytes, as MySQL makes them. */
    public static byte[] newScramble() {
        byte[] scramble = new byte[SCRAMBLE_LENGTH];
        for (int i = 0; i < scramble.length; i++) {
            scramble[i] = (byte) (33 + RANDOM.nextInt(94));
        }
        return scramble;
    }

    /** What a client with {@code password} answers to {@code scramble}. */
    public static byte[] response(byte[] scramble, String password) {
        if (password.isEmpty()) {
            return new byte[0];
        }
        byte[] stage1 = sha1(password.getBytes(StandardCharsets.UTF_8));
        byte[] stage2 = sha1(stage1);
        MessageDigest digest = sha1();
        digest.update(scramble, 0, SCRAMBLE_LENGTH);
        digest.update(stage2);
        byte[] mask = digest.digest();
        byte[] out = new byte[mask.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (stage1[i] ^ mask[i]);
        }
        return out;
    }

    /** True when {@code response} proves knowledge of {@code password}; compared in constant time. */
    public static boolean verify(byte[] scramble, byte[] response, String password) {
        return MessageDigest.isEqual(response(scramble, password), response);
    }

    private static byte[] sha1(byte[] data) {
        return sha1().digest(data);
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK has no SHA-1", e);
        }
    }
}
