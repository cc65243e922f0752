package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Ports;
import kingbus.testing.Processes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A node refuses to serve a damaged store, and its admin API speaks HTTPS when TLS is configured:
 * real Kingbus processes (the runnable jar) and a real MariaDB master.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeSafetyIT {

    private MariaDb master;

    @BeforeAll
    void start() {
        master = MariaDb.start(1);
    }

    @AfterAll
    void stop() {
        if (master != null) {
            master.close();
        }
    }

    @Test
    void aNodeWhoseStoreIsDamagedRefusesToStartAndNamesTheDataFile() throws Exception {
        String marker = "kingbus-damage-marker-" + System.nanoTime() + "-".repeat(200);
        try (KingbusProcess node = KingbusProcess.forMaster(master, Map.of()).start().awaitReady()) {
            master.execute("CREATE DATABASE IF NOT EXISTS damage", "USE damage",
                    "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(300))",
                    "INSERT INTO t (v) VALUES ('" + marker + "')");
            String target = master.gtidBinlogPos();
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> node.get("/health/ready").body().contains("\"" + target + "\""));
            node.stop();

            Path damaged = flipAByteOf(marker.getBytes(StandardCharsets.US_ASCII), node.dir().resolve("data"));

            node.start();
            assertThat(node.get("/health/started").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = node.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("damaged").contains(damaged.getParent().toString());
            HttpResponse<String> live = node.get("/health/live");
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains(damaged.getParent().toString());
            assertThatThrownBy(() -> new Socket("127.0.0.1", node.mysqlPort()).close())
                    .as("the MySQL listener must not be up").isInstanceOf(java.net.ConnectException.class);
            List<String> severe = node.messages().stream()
                    .filter(line -> line.contains(" E ") && line.contains("damaged")).toList();
            assertThat(severe).hasSize(1);
            assertThat(severe.get(0)).contains(damaged.getParent().toString()).contains("checksum");
        }
    }

    /** Flips a byte in the middle of {@code needle} in the store's data files; returns the file. */
    private static Path flipAByteOf(byte[] needle, Path dataDir) throws Exception {
        List<Path> files;
        try (var walk = Files.walk(dataDir)) {
            files = walk.filter(Files::isRegularFile).filter(p -> p.toString().contains("/store/infinispan/data/"))
                    .toList();
        }
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            for (int at = 0; at + needle.length <= bytes.length; at++) {
                if (Arrays.equals(bytes, at, at + needle.length, needle, 0, needle.length)) {
                    bytes[at + needle.length / 2] ^= 0x20;
                    Files.write(file, bytes);
                    return file;
                }
            }
        }
        throw new AssertionError("the marker row is not in any store data file: " + files);
    }

    @Test
    void theAdminApiSpeaksHttpsWhenTlsIsConfigured() throws Exception {
        Path tls = Files.createTempDirectory("kingbus-tls-");
        try {
            Path keystore = tls.resolve("admin.p12");
            String password = "tls-store-pass-" + System.nanoTime();
            Processes.run(tls, List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "kingbus", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                    "-keystore", keystore.toString(), "-storepass", password), 60);
            int httpsPort = Ports.free();
            try (KingbusProcess node = KingbusProcess.create(Map.of(
                    "HTTPS_PORT", String.valueOf(httpsPort),
                    "KINGBUS_TLS_KEYSTORE", keystore.toString(),
                    "KINGBUS_TLS_KEYSTORE_PASSWORD", password)).start().awaitReady()) {
                KeyStore trusted = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(keystore)) {
                    trusted.load(in, password.toCharArray());
                }
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(trusted);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, trust.getTrustManagers(), null);
                HttpClient https = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10))
                        .build();
                URI cluster = URI.create("https://127.0.0.1:" + httpsPort + "/api/v1/cluster");
                String basic = "Basic " + Base64.getEncoder().encodeToString(
                        (KingbusProcess.ADMIN_USER + ":" + KingbusProcess.ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));

                HttpResponse<String> ok = https.send(HttpRequest.newBuilder(cluster).header("Authorization", basic)
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.body()).contains("\"commitIndex\"");
                assertThat(ok.sslSession()).isPresent();
                assertThat(ok.sslSession().get().getPeerCertificates()[0])
                        .isEqualTo(trusted.getCertificate("kingbus"));

                HttpResponse<String> anonymous = https.send(HttpRequest.newBuilder(cluster).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(anonymous.statusCode()).isEqualTo(401);
                assertThat(anonymous.body()).contains("\"error\"");

                // With TLS configured, the admin API is not offered in clear text; health stays there for probes.
                HttpResponse<String> plain = node.request(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.httpPort() + "/api/v1/cluster")).header("Authorization", basic));
                assertThat(plain.statusCode()).isEqualTo(403);
                assertThat(plain.body()).contains("https://").contains(String.valueOf(httpsPort));
                assertThat(node.get("/health/ready").statusCode()).isEqualTo(200);
                assertThat(node.messages()).noneMatch(line -> line.contains(password));
            }
        } finally {
            Processes.deleteTree(tls);
        }
    }
}
