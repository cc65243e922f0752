package kingbus.protocol.packet;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.List;
import javax.crypto.KeyAgreement;

/**
 * MariaDB's {@code ed25519} authentication (server plugin {@code auth_ed25519}, client plugin
 * {@code client_ed25519}): the server sends a 32-byte nonce and the client answers with its Ed25519
 * signature of it. The key is MariaDB's, not RFC 8032's: its secret scalar is the clamped first half
 * of SHA-512 of the whole password (RFC 8032 hashes a 32-byte seed), and the account stores the
 * public key {@code A = a·B}.
 *
 * <p>Every curve operation is the JDK's. The JDK computes {@code a·B} only for its X25519 form (the
 * base point's u = 9), so {@code A} is recovered from u through the curves' birational map
 * {@code y = (u - 1) / (u + 1)} (RFC 7748, section 4.1), which leaves the sign of x open: the
 * signature is checked against both points, A and -A. That accepts nothing more: signing for -A
 * needs its secret scalar -a, which reveals a. Hand-written: the one library that signs this way
 * (MariaDB's JDBC driver) keeps it private, and Bouncy Castle does not expose scalar·B.
 *
 * <p>Stateless and thread-safe.
 */
public final class Ed25519Password {

    /** The server plugin's name, as a MariaDB account shows it. */
    public static final String PLUGIN = "ed25519";
    /** The client plugin a server asks for in its AuthSwitchRequest. */
    public static final String CLIENT_PLUGIN = "client_ed25519";
    /** NONCE_BYTES of MariaDB's plugin/auth_ed25519. */
    public static final int NONCE_BYTES = 32;
    /** Length of an Ed25519 signature. */
    public static final int SIGNATURE_BYTES = 64;

    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger X25519_BASE_U = BigInteger.valueOf(9);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ed25519Password() {}

    /** A new random nonce. */
    public static byte[] newNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** True when {@code signature} is the signature of {@code nonce} by the key of {@code password}. */
    public static boolean verify(byte[] nonce, byte[] signature, String password) {
        if (signature.length != SIGNATURE_BYTES) {
            return false;
        }
        try {
            BigInteger y = publicKeyY(password);
            boolean verified = false;
            for (boolean xOdd : new boolean[] {false, true}) {
                PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(
                        new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, y)));
                Signature verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(nonce);
                verified |= verifier.verify(signature); // both checked: the time does not tell which
            }
            return verified;
        } catch (GeneralSecurityException e) {
            return false; // e.g. a signature whose point does not decode
        }
    }

    /**
     * The two encodings (x even, x odd) of {@code ±A} for {@code password}; one of them is what a
     * MariaDB account {@code IDENTIFIED VIA ed25519 USING PASSWORD(...)} stores (base64).
     */
    static List<byte[]> publicKeyCandidates(String password) throws GeneralSecurityException {
        byte[] y = littleEndian(publicKeyY(password));
        byte[] odd = y.clone();
        odd[31] |= (byte) 0x80;
        return List.of(y, odd);
    }

    /** y of A = a·B, through X25519 (which clamps a exactly as MariaDB's crypto_sign_keypair does). */
    private static BigInteger publicKeyY(String password) throws GeneralSecurityException {
        byte[] hash = MessageDigest.getInstance("SHA-512").digest(password.getBytes(StandardCharsets.UTF_8));
        byte[] scalar = Arrays.copyOf(hash, 32);
        KeyFactory x25519 = KeyFactory.getInstance("X25519");
        KeyAgreement agreement = KeyAgreement.getInstance("X25519");
        agreement.init(x25519.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar)));
        agreement.doPhase(x25519.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, X25519_BASE_U)), true);
        BigInteger u = new BigInteger(1, reverse(agreement.generateSecret()));
        return u.subtract(BigInteger.ONE).multiply(u.add(BigInteger.ONE).modInverse(P)).mod(P);
    }

    private static byte[] littleEndian(BigInteger value) {
        byte[] bigEndian = value.toByteArray();
        byte[] out = new byte[32];
        for (int i = 0; i < 32 && i < bigEndian.length; i++) {
            out[i] = bigEndian[bigEndian.length - 1 - i];
        }
        return out;
    }

    private static byte[] reverse(byte[] bytes) {
        byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[bytes.length - 1 - i];
        }
        return out;
    }
}
