package kingbus.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigValue;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.eclipse.microprofile.config.spi.Converter;
import org.junit.jupiter.api.Test;

class KingbusConfigTest {

    @Test
    void defaultsAreValidAndDescribeASingleNode() {
        KingbusConfig config = new KingbusConfig(configOf(Map.of()));
        assertThat(config.problems()).isEmpty();
        assertThat(config.raftMemberList()).containsExactly("n1@127.0.0.1:7800");
        assertThat(config.mysqlHost()).isEqualTo("127.0.0.1");
        assertThat(config.masterHost()).isEmpty();
        assertThat(config.storeZstdLevel()).as("compression at rest is off by default").isZero();
        assertThat(config.storeSyncMillis()).isEqualTo(200);
        assertThat(config.netWriteTimeout()).as("MariaDB's net_write_timeout").isEqualTo(Duration.ofSeconds(60));
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.store.compression", "zstd"))).storeZstdLevel())
                .isEqualTo(3);
    }

    @Test
    void badValuesAreNamedWithTheirValue() {
        Map<String, String> values = new HashMap<>();
        values.put("kingbus.mysql.port", "70000");
        values.put("kingbus.server.id", "abc");
        values.put("kingbus.raft.members", "n2@127.0.0.1:7801");
        values.put("kingbus.store.compression", "lz4");
        values.put("kingbus.store.compression-level", "23");
        values.put("kingbus.store.sync-millis", "5");
        values.put("kingbus.mysql.net-write-timeout-seconds", "0");
        KingbusConfig config = new KingbusConfig(configOf(values));
        assertThat(config.problems()).containsExactlyInAnyOrder(
                "kingbus.store.compression='lz4' must be none or zstd",
                "kingbus.store.compression-level=23 is out of range: expected 1 to 22",
                "kingbus.store.sync-millis=5 is out of range: expected 10 to 60000",
                "kingbus.mysql.net-write-timeout-seconds=0 is out of range: expected 1 to 31536000",
                "kingbus.mysql.port=70000 is out of range: expected 1 to 65535",
                "kingbus.server.id='abc' is not a whole number (expected 1 to 4294967295)",
                "kingbus.raft.members='n2@127.0.0.1:7801' does not list this node, kingbus.node.name='n1'");
    }

    @Test
    void theMasterNetTimeoutIsThreeHeartbeatsAtLeastThirtySecondsUnlessSetAndMustOutlastAHeartbeat() {
        assertThat(new KingbusConfig(configOf(Map.of())).masterNetTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.master.heartbeat-seconds", "30"))).masterNetTimeout())
                .isEqualTo(Duration.ofSeconds(90));
        KingbusConfig set = new KingbusConfig(configOf(Map.of("kingbus.master.net-timeout-seconds", "4")));
        assertThat(set.problems()).isEmpty();
        assertThat(set.masterNetTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.master.net-timeout-seconds", "5",
                "kingbus.master.heartbeat-seconds", "5"))).problems()).containsExactly(
                "kingbus.master.net-timeout-seconds=5 must be longer than kingbus.master.heartbeat-seconds=5: an idle"
                        + " master sends only a heartbeat each period");
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.master.net-timeout-seconds", "1"))).problems())
                .containsExactly("kingbus.master.net-timeout-seconds=1 is out of range: expected 2 to 4294967");
    }

    @Test
    void theMasterHandoverIsTwiceTheNetTimeoutUnlessSetAndZeroTurnsItOff() {
        assertThat(new KingbusConfig(configOf(Map.of())).masterHandover()).isEqualTo(Duration.ofSeconds(60));
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.master.net-timeout-seconds", "4"))).masterHandover())
                .isEqualTo(Duration.ofSeconds(8));
        KingbusConfig off = new KingbusConfig(configOf(Map.of("kingbus.master.handover-seconds", "0")));
        assertThat(off.problems()).isEmpty();
        assertThat(off.masterHandover()).isZero();
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.master.handover-seconds", "-1"))).problems())
                .containsExactly("kingbus.master.handover-seconds=-1 is out of range: expected 0 to 4294967");
    }

    @Test
    void eachMemberGivesTheMasterItsOwnServerId() {
        String members = "n1@127.0.0.1:7800,n2@127.0.0.1:7801,n3@127.0.0.1:7802";
        for (int i = 1; i <= 3; i++) {
            KingbusConfig config = new KingbusConfig(configOf(Map.of("kingbus.node.name", "n" + i,
                    "kingbus.raft.members", members, "kingbus.server.id", "100")));
            assertThat(config.problems()).isEmpty();
            assertThat(config.serverId()).as("shown to replicas").isEqualTo(100);
            assertThat(config.upstreamServerId()).as("n%d toward the master", i).isEqualTo(99 + i);
        }
        assertThat(new KingbusConfig(configOf(Map.of())).upstreamServerId()).isEqualTo(4242);
    }

    @Test
    void requiredEd25519IsRefusedForAClusterWhoseMembersFetchWithNativePassword() {
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.mysql.auth-plugin", "ed25519"))).problems()).isEmpty();
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.mysql.auth-plugin", "ed25519", "kingbus.raft.members",
                "n1@127.0.0.1:7800,n2@127.0.0.1:7801,n3@127.0.0.1:7802"))).problems())
                .singleElement().asString().startsWith("kingbus.mysql.auth-plugin=ed25519 works on a single node only");
        assertThat(new KingbusConfig(configOf(Map.of("kingbus.mysql.auth-plugin", "sha256_password"))).problems())
                .containsExactly("kingbus.mysql.auth-plugin='sha256_password' must be mysql_native_password or ed25519");
    }

    @Test
    void retentionSizesAndAgesReadLikeMariadbOptions() {
        KingbusConfig config = new KingbusConfig(configOf(Map.of("kingbus.binlog.retention.size", "50GB",
                "kingbus.binlog.retention.age", "7d", "kingbus.binlog.retention.check-seconds", "5")));
        assertThat(config.problems()).isEmpty();
        assertThat(config.retentionMaxBytes()).isEqualTo(50L << 30);
        assertThat(config.retentionMaxAge()).isEqualTo(java.time.Duration.ofDays(7));
        assertThat(config.retentionCheckInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(KingbusConfig.parseSize("512m")).isEqualTo(512L << 20);
        assertThat(KingbusConfig.parseSize("1024")).isEqualTo(1024);
        assertThat(KingbusConfig.parseAge("90s")).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(KingbusConfig.parseAge("12h")).isEqualTo(java.time.Duration.ofHours(12));
        KingbusConfig defaults = new KingbusConfig(configOf(Map.of()));
        assertThat(defaults.retentionMaxBytes()).as("no limit by default").isZero();
        assertThat(defaults.retentionMaxAge()).isZero();
        KingbusConfig bad = new KingbusConfig(configOf(Map.of("kingbus.binlog.retention.size", "lots",
                "kingbus.binlog.retention.age", "7 weeks")));
        assertThat(bad.problems()).hasSize(2).allSatisfy(p -> assertThat(p).startsWith("kingbus.binlog.retention."))
                .anySatisfy(p -> assertThat(p).contains("'lots' is not a size"))
                .anySatisfy(p -> assertThat(p).contains("'7 weeks' is not an age"));
    }

    @Test
    void malformedMemberIsExplained() {
        KingbusConfig config = new KingbusConfig(configOf(Map.of("kingbus.raft.members", "n1-127.0.0.1")));
        assertThat(config.problems()).containsExactly(
                "kingbus.raft.members entry 'n1-127.0.0.1' must look like name@host:port");
    }

    @Test
    void passwordsAreNeverInProblems() {
        KingbusConfig config = new KingbusConfig(configOf(Map.of(
                "kingbus.master.password", "s3cret-value", "kingbus.mysql.port", "x")));
        assertThat(String.join(" ", config.problems())).doesNotContain("s3cret-value");
    }

    @Test
    void tlsSettingsAreCheckedTogether() {
        KingbusConfig placeholder = new KingbusConfig(configOf(Map.of("KINGBUS_TLS_KEYSTORE",
                "/opt/wlp/usr/servers/kingbus/resources/security/" + KingbusConfig.NO_KEYSTORE)));
        assertThat(placeholder.problems()).isEmpty();
        assertThat(placeholder.tlsKeystore()).isEmpty();

        KingbusConfig config = new KingbusConfig(configOf(Map.of(
                "kingbus.mysql.require-tls", "true",
                "kingbus.master.ssl-mode", "verify_ca",
                "HTTPS_PORT", "9443",
                "KINGBUS_TLS_KEYSTORE_PASSWORD", "keystore-s3cret")));
        assertThat(config.problems()).containsExactlyInAnyOrder(
                "HTTPS_PORT=9443 needs KINGBUS_TLS_KEYSTORE, a PKCS12 keystore",
                "kingbus.mysql.require-tls=true needs a TLS certificate: set KINGBUS_TLS_KEYSTORE (PKCS12)",
                "kingbus.master.ssl-mode=verify_ca needs kingbus.master.ssl-ca, the PEM file of the CA that signed"
                        + " the master's certificate");
        assertThat(String.join(" ", config.problems())).doesNotContain("keystore-s3cret");

        KingbusConfig wrong = new KingbusConfig(configOf(Map.of("kingbus.master.ssl-mode", "ON",
                "kingbus.mysql.require-tls", "yes", "kingbus.master.ssl-ca", "/no/such/ca.pem")));
        assertThat(wrong.problems()).containsExactlyInAnyOrder(
                "kingbus.master.ssl-mode='ON' must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
                "kingbus.mysql.require-tls='yes' must be true or false",
                "kingbus.master.ssl-ca='/no/such/ca.pem' is not a readable file");
    }

    /** A MicroProfile Config over a map: enough for the bean, which reads optional strings only. */
    static Config configOf(Map<String, String> values) {
        return new Config() {
            @Override
            public <T> T getValue(String name, Class<T> type) {
                return getOptionalValue(name, type).orElseThrow();
            }

            @Override
            public ConfigValue getConfigValue(String name) {
                throw new UnsupportedOperationException();
            }

            @Override
            public <T> Optional<T> getOptionalValue(String name, Class<T> type) {
                return Optional.ofNullable(values.get(name)).map(type::cast);
            }

            @Override
            public Iterable<String> getPropertyNames() {
                return values.keySet();
            }

            @Override
            public Iterable<ConfigSource> getConfigSources() {
                return java.util.List.of();
            }

            @Override
            public <T> Optional<Converter<T>> getConverter(Class<T> type) {
                return Optional.empty();
            }

            @Override
            public <T> T unwrap(Class<T> type) {
                throw new UnsupportedOperationException();
            }
        };
    }
}
