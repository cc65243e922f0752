package kingbus.protocol.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class Ed25519PasswordTest {

    /**
     * Public keys MariaDB 10.11.19 stored for {@code CREATE USER ... IDENTIFIED VIA ed25519 USING
     * PASSWORD('secret')} and {@code PASSWORD('kingbus-ed25519-pass')} (mysql.global_priv's
     * authentication_string, base64 without padding), taken on 2026-12-02.
     */
    @Test
    void derivesThePublicKeyMariadbStoresForAPassword() throws Exception {
        assertThat(Ed25519Password.publicKeyCandidates("secret")).anySatisfy(key -> assertThat(key)
                .isEqualTo(Base64.getDecoder().decode("ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY")));
        assertThat(Ed25519Password.publicKeyCandidates("kingbus-ed25519-pass")).anySatisfy(key -> assertThat(key)
                .isEqualTo(Base64.getDecoder().decode("j3t+uXhv1g6G4aBXurfg/Hf3OPrE/IN2I4J7Qxbnrpk")));
    }

    /**
     * For a password of exactly 32 bytes MariaDB's key is RFC 8032's key of that seed, so the JDK
     * signs as a {@code client_ed25519} client would.
     */
    @Test
    void acceptsTheSignatureOfTheRightPasswordOnly() throws Exception {
        String password = "0123456789abcdef0123456789abcdef";
        byte[] nonce = Ed25519Password.newNonce();
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(
                NamedParameterSpec.ED25519, password.getBytes(StandardCharsets.US_ASCII))));
        signer.update(nonce);
        byte[] signature = signer.sign();

        assertThat(Ed25519Password.verify(nonce, signature, password)).isTrue();
        assertThat(Ed25519Password.verify(nonce, signature, password.replace('0', '1'))).isFalse();
        assertThat(Ed25519Password.verify(Ed25519Password.newNonce(), signature, password)).isFalse();
        byte[] tampered = signature.clone();
        tampered[40] ^= 1;
        assertThat(Ed25519Password.verify(nonce, tampered, password)).isFalse();
        assertThat(Ed25519Password.verify(nonce, new byte[0], password)).isFalse();
        assertThat(Ed25519Password.verify(nonce, new byte[64], password)).isFalse();
    }
}
