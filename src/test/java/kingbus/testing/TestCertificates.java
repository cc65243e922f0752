package kingbus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1 signed by it, made with
 * the {@code openssl} command: PEM files for mariadbd and the {@code mariadb} clients, and a PKCS12
 * keystore for Kingbus. Immutable once made.
 *
 * @param dir where the files are
 * @param caPem the CA's certificate
 * @param serverPem the server's certificate (SAN IP:127.0.0.1, serverAuth)
 * @param serverKeyPem the server's private key, unencrypted
 * @param serverP12 the server's key and chain in PKCS12, protected by {@code password}
 * @param password the keystore's password
 */
public record TestCertificates(Path dir, Path caPem, Path serverPem, Path serverKeyPem, Path serverP12,
        String password) {

    /** Makes a new CA and server certificate in a new temporary directory. */
    public static TestCertificates create() {
        try {
            Path dir = Files.createTempDirectory("kingbus-tls-");
            String password = "kingbus-test-keystore";
            Files.writeString(dir.resolve("server.ext"),
                    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
            Processes.run(dir, List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Kingbus Test CA"), 60);
            Processes.run(dir, List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem",
                    "-out", "server.csr", "-subj", "/CN=127.0.0.1"), 60);
            Processes.run(dir, List.of("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
                    "ca-key.pem", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"), 60);
            Processes.run(dir, List.of("openssl", "pkcs12", "-export", "-in", "server.pem", "-inkey", "server-key.pem",
                    "-certfile", "ca.pem", "-name", "server", "-out", "server.p12", "-passout", "pass:" + password), 60);
            return new TestCertificates(dir, dir.resolve("ca.pem"), dir.resolve("server.pem"),
                    dir.resolve("server-key.pem"), dir.resolve("server.p12"), password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
