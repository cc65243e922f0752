package kingbus.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import kingbus.syncer.BinlogSyncer;
import org.eclipse.microprofile.config.Config;

/**
 * Every Kingbus setting, read once through MicroProfile Config (so each can also be set as an
 * environment variable: {@code kingbus.master.host} is {@code KINGBUS_MASTER_HOST}), and checked
 * by {@link #problems()}.
 *
 * <p>Application-scoped; values never change after injection, so it is safe to read from any
 * thread.
 */
@ApplicationScoped
public class KingbusConfig {

    /** server.xml's stand-in for KINGBUS_TLS_KEYSTORE when none is set (Liberty needs some path). */
    static final String NO_KEYSTORE = "kingbus-no-keystore.p12";

    private final String nodeName;
    private final String dataDir;
    private final String mysqlHost;
    private final String mysqlPort;
    private final String maxConnections;
    private final String idleTimeoutSeconds;
    private final String netWriteTimeoutSeconds;
    private final String serverId;
    private final Optional<String> masterHost;
    private final String masterPort;
    private final String masterUser;
    private final String masterPassword;
    private final String masterHeartbeatSeconds;
    /** Empty: three heartbeats, at least 30 s (see {@link #masterNetTimeout()}). */
    private final Optional<String> masterNetTimeoutSeconds;
    /** Empty: twice the net timeout (see {@link #masterHandover()}). */
    private final Optional<String> masterHandoverSeconds;
    private final String replicaUser;
    private final String replicaPassword;
    private final String adminUser;
    private final String adminPassword;
    private final String raftPort;
    private final String raftMembers;
    private final String raftMaxLogBytes;
    private final String raftMaxEntryBytes;
    private final String raftMaxApplyLagSeconds;
    private final String raftMaxResendBytes;
    private final String tlsKeystore;
    private final String tlsKeystorePassword;
    private final String mysqlRequireTls;
    private final String mysqlAuthPlugin;
    private final String masterSslMode;
    private final String masterSslCa;
    private final String masterSemiSync;
    private final String httpsPort;
    private final String retentionSize;
    private final String retentionAge;
    private final String retentionCheckSeconds;
    private final String storeMinFreeBytes;
    private final String storeCompression;
    private final String storeCompressionLevel;
    private final String storeSyncMillis;

    /** For CDI's client proxy only. */
    protected KingbusConfig() {
        this.nodeName = null;
        this.dataDir = null;
        this.mysqlHost = null;
        this.mysqlPort = null;
        this.maxConnections = null;
        this.idleTimeoutSeconds = null;
        this.netWriteTimeoutSeconds = null;
        this.serverId = null;
        this.masterHost = Optional.empty();
        this.masterPort = null;
        this.masterUser = null;
        this.masterPassword = null;
        this.masterHeartbeatSeconds = null;
        this.masterNetTimeoutSeconds = Optional.empty();
        this.masterHandoverSeconds = Optional.empty();
        this.replicaUser = null;
        this.replicaPassword = null;
        this.adminUser = null;
        this.adminPassword = null;
        this.raftPort = null;
        this.raftMembers = null;
        this.raftMaxLogBytes = null;
        this.raftMaxEntryBytes = null;
        this.raftMaxApplyLagSeconds = null;
        this.raftMaxResendBytes = null;
        this.tlsKeystore = null;
        this.tlsKeystorePassword = null;
        this.mysqlRequireTls = null;
        this.mysqlAuthPlugin = null;
        this.masterSslMode = null;
        this.masterSslCa = null;
        this.masterSemiSync = null;
        this.httpsPort = null;
        this.retentionSize = null;
        this.retentionAge = null;
        this.retentionCheckSeconds = null;
        this.storeMinFreeBytes = null;
        this.storeSyncMillis = null;
        this.storeCompression = null;
        this.storeCompressionLevel = null;
    }

    /** Reads every setting from {@code source} (the application's MicroProfile Config in production). */
    @Inject
    public KingbusConfig(Config source) {
        this.nodeName = read(source, "kingbus.node.name", "n1");
        this.dataDir = read(source, "kingbus.data.dir", "kingbus-data");
        this.mysqlHost = read(source, "kingbus.mysql.host", "127.0.0.1");
        this.mysqlPort = read(source, "kingbus.mysql.port", "3307");
        this.maxConnections = read(source, "kingbus.mysql.max-connections", "1000");
        this.idleTimeoutSeconds = read(source, "kingbus.mysql.idle-timeout-seconds", "28800");
        this.netWriteTimeoutSeconds = read(source, "kingbus.mysql.net-write-timeout-seconds", "60");
        this.serverId = read(source, "kingbus.server.id", "4242");
        this.masterHost = source.getOptionalValue("kingbus.master.host", String.class);
        this.masterPort = read(source, "kingbus.master.port", "3306");
        this.masterUser = read(source, "kingbus.master.user", "repl");
        this.masterPassword = read(source, "kingbus.master.password", "");
        this.masterHeartbeatSeconds = read(source, "kingbus.master.heartbeat-seconds", "1");
        this.masterNetTimeoutSeconds = source.getOptionalValue("kingbus.master.net-timeout-seconds", String.class)
                .map(String::trim);
        this.masterHandoverSeconds = source.getOptionalValue("kingbus.master.handover-seconds", String.class)
                .map(String::trim);
        this.replicaUser = read(source, "kingbus.replica.user", "repl");
        this.replicaPassword = read(source, "kingbus.replica.password", "");
        this.adminUser = read(source, "kingbus.admin.user", "admin");
        this.adminPassword = read(source, "kingbus.admin.password", "");
        this.raftPort = read(source, "kingbus.raft.port", "7800");
        this.raftMembers = read(source, "kingbus.raft.members", "");
        this.raftMaxLogBytes = read(source, "kingbus.raft.max-log-bytes", "17179869184");
        this.raftMaxEntryBytes = read(source, "kingbus.raft.max-entry-bytes", "1048576");
        this.raftMaxApplyLagSeconds = read(source, "kingbus.raft.max-apply-lag-seconds", "5");
        this.raftMaxResendBytes = read(source, "kingbus.raft.max-resend-bytes", "4194304");
        // Liberty's own variables (server.xml), which Liberty also reads for its HTTPS endpoint.
        this.tlsKeystore = read(source, "KINGBUS_TLS_KEYSTORE", "");
        this.tlsKeystorePassword = read(source, "KINGBUS_TLS_KEYSTORE_PASSWORD", "");
        this.mysqlRequireTls = read(source, "kingbus.mysql.require-tls", "false");
        this.mysqlAuthPlugin = read(source, "kingbus.mysql.auth-plugin", "mysql_native_password");
        this.masterSslMode = read(source, "kingbus.master.ssl-mode", "DISABLED");
        this.masterSslCa = read(source, "kingbus.master.ssl-ca", "");
        this.masterSemiSync = read(source, "kingbus.master.semi-sync", "false");
        this.httpsPort = read(source, "HTTPS_PORT", "-1");
        this.retentionSize = read(source, "kingbus.binlog.retention.size", "0");
        this.retentionAge = read(source, "kingbus.binlog.retention.age", "0");
        this.retentionCheckSeconds = read(source, "kingbus.binlog.retention.check-seconds", "60");
        this.storeMinFreeBytes = read(source, "kingbus.store.min-free-bytes", "256M");
        this.storeCompression = read(source, "kingbus.store.compression", "none");
        this.storeCompressionLevel = read(source, "kingbus.store.compression-level", "3");
        this.storeSyncMillis = read(source, "kingbus.store.sync-millis", "200");
    }

    private static String read(Config source, String name, String defaultValue) {
        return source.getOptionalValue(name, String.class).map(String::trim).orElse(defaultValue);
    }

    /**
     * Every problem with the settings, each naming the setting, its value and what is expected;
     * empty when all is well. Secrets are never echoed.
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!nodeName.matches("[A-Za-z0-9_.-]{1,64}")) {
            problems.add("kingbus.node.name='" + nodeName + "' must be 1-64 letters, digits, '.', '_' or '-'");
        }
        checkPort(problems, "kingbus.mysql.port", mysqlPort);
        checkPort(problems, "kingbus.raft.port", raftPort);
        checkPort(problems, "kingbus.master.port", masterPort);
        checkRange(problems, "kingbus.server.id", serverId, 1, 0xFFFF_FFFFL);
        checkRange(problems, "kingbus.mysql.max-connections", maxConnections, 1, 100_000);
        checkRange(problems, "kingbus.mysql.idle-timeout-seconds", idleTimeoutSeconds, 1, 31_536_000);
        checkRange(problems, "kingbus.mysql.net-write-timeout-seconds", netWriteTimeoutSeconds, 1, 31_536_000);
        checkRange(problems, "kingbus.master.heartbeat-seconds", masterHeartbeatSeconds, 1, 4_294_967);
        masterNetTimeoutSeconds.ifPresent(timeout -> {
            int before = problems.size();
            checkRange(problems, "kingbus.master.net-timeout-seconds", timeout, 2, 4_294_967);
            if (problems.size() == before && masterHeartbeatSeconds.matches("\\d{1,7}")
                    && Long.parseLong(timeout) <= Long.parseLong(masterHeartbeatSeconds)) {
                problems.add("kingbus.master.net-timeout-seconds=" + timeout + " must be longer than"
                        + " kingbus.master.heartbeat-seconds=" + masterHeartbeatSeconds + ": an idle master sends only"
                        + " a heartbeat each period");
            }
        });
        masterHandoverSeconds.ifPresent(handover ->
                checkRange(problems, "kingbus.master.handover-seconds", handover, 0, 4_294_967));
        checkRange(problems, "kingbus.raft.max-log-bytes", raftMaxLogBytes, 1 << 20, Long.MAX_VALUE);
        checkRange(problems, "kingbus.raft.max-entry-bytes", raftMaxEntryBytes, 1024, 256L << 20);
        checkRange(problems, "kingbus.raft.max-apply-lag-seconds", raftMaxApplyLagSeconds, 1, 86_400);
        checkRange(problems, "kingbus.raft.max-resend-bytes", raftMaxResendBytes, 64 << 10, 256L << 20);
        checkRange(problems, "kingbus.binlog.retention.check-seconds", retentionCheckSeconds, 1, 86_400);
        try {
            parseSize(retentionSize);
        } catch (IllegalArgumentException e) {
            problems.add("kingbus.binlog.retention.size='" + retentionSize + "' " + e.getMessage());
        }
        try {
            parseSize(storeMinFreeBytes);
        } catch (IllegalArgumentException e) {
            problems.add("kingbus.store.min-free-bytes='" + storeMinFreeBytes + "' " + e.getMessage());
        }
        if (!List.of("none", "zstd").contains(storeCompression)) {
            problems.add("kingbus.store.compression='" + storeCompression + "' must be none or zstd");
        }
        checkRange(problems, "kingbus.store.compression-level", storeCompressionLevel, 1, 22);
        checkRange(problems, "kingbus.store.sync-millis", storeSyncMillis, 10, 60_000);
        try {
            parseAge(retentionAge);
        } catch (IllegalArgumentException e) {
            problems.add("kingbus.binlog.retention.age='" + retentionAge + "' " + e.getMessage());
        }
        if (!httpsPort.equals("-1")) {
            checkPort(problems, "HTTPS_PORT", httpsPort);
            if (tlsKeystore().isEmpty()) {
                problems.add("HTTPS_PORT=" + httpsPort + " needs KINGBUS_TLS_KEYSTORE, a PKCS12 keystore");
            }
        }
        if (tlsKeystore().isPresent() && !java.nio.file.Files.isReadable(tlsKeystore().get())) {
            problems.add("KINGBUS_TLS_KEYSTORE='" + tlsKeystore + "' is not a readable file (HTTPS and the MySQL"
                    + " listener's TLS need a PKCS12 keystore)");
        }
        if (!masterSemiSync.equalsIgnoreCase("true") && !masterSemiSync.equalsIgnoreCase("false")) {
            problems.add("kingbus.master.semi-sync='" + masterSemiSync + "' must be true or false");
        }
        if (!mysqlRequireTls.equalsIgnoreCase("true") && !mysqlRequireTls.equalsIgnoreCase("false")) {
            problems.add("kingbus.mysql.require-tls='" + mysqlRequireTls + "' must be true or false");
        } else if (mysqlRequireTls() && tlsKeystore().isEmpty()) {
            problems.add("kingbus.mysql.require-tls=true needs a TLS certificate: set KINGBUS_TLS_KEYSTORE (PKCS12)");
        }
        if (!List.of("mysql_native_password", "ed25519").contains(mysqlAuthPlugin)) {
            problems.add("kingbus.mysql.auth-plugin='" + mysqlAuthPlugin + "' must be mysql_native_password or ed25519");
        }
        if (!List.of("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY").contains(masterSslMode.toUpperCase(Locale.ROOT))) {
            problems.add("kingbus.master.ssl-mode='" + masterSslMode
                    + "' must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY");
        } else if (masterSslMode.toUpperCase(Locale.ROOT).startsWith("VERIFY") && masterSslCa.isEmpty()) {
            problems.add("kingbus.master.ssl-mode=" + masterSslMode + " needs kingbus.master.ssl-ca, the PEM file of"
                    + " the CA that signed the master's certificate");
        }
        if (!masterSslCa.isEmpty() && !java.nio.file.Files.isReadable(Path.of(masterSslCa))) {
            problems.add("kingbus.master.ssl-ca='" + masterSslCa + "' is not a readable file");
        }
        if (replicaUser.isBlank()) {
            problems.add("kingbus.replica.user must not be empty");
        }
        if (problems.stream().noneMatch(p -> p.startsWith("kingbus.raft.port") || p.startsWith("kingbus.node.name"))) {
            try {
                List<String> members = raftMemberList();
                if (members.stream().noneMatch(m -> m.startsWith(nodeName + "@"))) {
                    problems.add("kingbus.raft.members='" + raftMembers + "' does not list this node, kingbus.node.name='"
                            + nodeName + "'");
                }
                if (members.size() > 1 && "ed25519".equals(mysqlAuthPlugin)) {
                    problems.add("kingbus.mysql.auth-plugin=ed25519 works on a single node only: members fetch"
                            + " snapshots from each other with mysql-binlog-connector-java, which has no ed25519 (leave"
                            + " the default: clients that ask for client_ed25519 get it)");
                }
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    private static void checkPort(List<String> problems, String name, String value) {
        checkRange(problems, name, value, 1, 65535);
    }

    private static void checkRange(List<String> problems, String name, String value, long min, long max) {
        try {
            long number = Long.parseLong(value.trim());
            if (number < min || number > max) {
                problems.add(name + "=" + value + " is out of range: expected " + min + " to " + max);
            }
        } catch (NumberFormatException e) {
            problems.add(name + "='" + value + "' is not a whole number (expected " + min + " to " + max + ")");
        }
    }

    public String nodeName() {
        return nodeName;
    }

    public Path dataDir() {
        return Path.of(dataDir);
    }

    public String mysqlHost() {
        return mysqlHost;
    }

    public int mysqlPort() {
        return Integer.parseInt(mysqlPort.trim());
    }

    public int maxConnections() {
        return Integer.parseInt(maxConnections.trim());
    }

    public Duration idleTimeout() {
        return Duration.ofSeconds(Long.parseLong(idleTimeoutSeconds.trim()));
    }

    /** A client that takes nothing sent to it for this long is disconnected ({@code net_write_timeout}). */
    public Duration netWriteTimeout() {
        return Duration.ofSeconds(Long.parseLong(netWriteTimeoutSeconds.trim()));
    }

    public long serverId() {
        return Long.parseLong(serverId.trim());
    }

    /**
     * The server id this node's syncer gives the master: {@link #serverId()} plus this node's place in
     * {@code kingbus.raft.members} (0 for the first), so no two members share one. A MariaDB master holds a
     * new dump with a server id already dumping until the older dump thread ends (it only marks it
     * KILL_SLAVE_SAME_ID), and the thread of a frozen or cut-off leader can sit in a network write for
     * {@code net_write_timeout} (60 s): with one id for every node, such a failover waited that long.
     */
    public long upstreamServerId() {
        List<String> members = raftMemberList();
        int place = 0;
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).startsWith(nodeName + "@")) {
                place = i;
            }
        }
        long id = serverId() + place;
        return id <= 0xFFFF_FFFFL ? id : serverId() - place;
    }

    /** The master's host, or empty when no master is configured. */
    public Optional<String> masterHost() {
        return masterHost.map(String::trim).filter(h -> !h.isEmpty());
    }

    public int masterPort() {
        return Integer.parseInt(masterPort.trim());
    }

    public String masterUser() {
        return masterUser;
    }

    public String masterPassword() {
        return masterPassword;
    }

    public Duration masterHeartbeat() {
        return Duration.ofSeconds(Long.parseLong(masterHeartbeatSeconds.trim()));
    }

    /**
     * How long the syncer waits for anything from the master (an event or a heartbeat) before it drops the
     * connection and connects again, as a MariaDB replica's {@code slave_net_timeout}: without it, a link that
     * went silent (a cut network, a master host that died without closing its connections) would hold the
     * syncer forever. {@code kingbus.master.net-timeout-seconds}; unset, three heartbeats and at least 30 s.
     */
    public Duration masterNetTimeout() {
        return masterNetTimeoutSeconds.map(timeout -> Duration.ofSeconds(Long.parseLong(timeout)))
                .orElseGet(() -> BinlogSyncer.Settings.defaultNetTimeout(masterHeartbeat()));
    }

    /**
     * How long a leader may hear nothing from the master (not even a heartbeat, or no connection at all) before it
     * leaves the leadership to a member that can log in to the master; zero never.
     * {@code kingbus.master.handover-seconds}; unset, twice {@link #masterNetTimeout()}.
     */
    public Duration masterHandover() {
        return masterHandoverSeconds.map(seconds -> Duration.ofSeconds(Long.parseLong(seconds)))
                .orElseGet(() -> masterNetTimeout().multipliedBy(2));
    }

    public String replicaUser() {
        return replicaUser;
    }

    public String replicaPassword() {
        return replicaPassword;
    }

    public String adminUser() {
        return adminUser;
    }

    public String adminPassword() {
        return adminPassword;
    }

    /**
     * True when HTTPS is configured ({@code HTTPS_PORT} and {@code KINGBUS_TLS_KEYSTORE}): Liberty
     * serves it on {@link #httpsPort()} and the admin API refuses clear-text requests.
     */
    public boolean tlsEnabled() {
        return httpsPort() > 0;
    }

    /** The node's PKCS12 keystore (HTTPS and the MySQL listener's TLS), if one is configured. */
    public Optional<Path> tlsKeystore() {
        boolean unset = tlsKeystore.isEmpty() || tlsKeystore.endsWith(NO_KEYSTORE);
        return unset ? Optional.empty() : Optional.of(Path.of(tlsKeystore));
    }

    /** The keystore's password (a secret: never log it). */
    public String tlsKeystorePassword() {
        return tlsKeystorePassword;
    }

    /** True when the MySQL listener refuses logins that are not over TLS. */
    public boolean mysqlRequireTls() {
        return mysqlRequireTls.equalsIgnoreCase("true");
    }

    /**
     * How logins on the MySQL port are checked: {@code mysql_native_password} (the default: a client
     * that asks for {@code client_ed25519} gets ed25519, any other mysql_native_password) or
     * {@code ed25519} (every client must use it; a single node only).
     */
    public String mysqlAuthPlugin() {
        return mysqlAuthPlugin;
    }

    /** How the syncer secures its connection to the master: DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY. */
    public String masterSslMode() {
        return masterSslMode.toUpperCase(Locale.ROOT);
    }

    /** True when Kingbus acts as a semi-sync replica of the master (acks after the Raft commit). */
    public boolean masterSemiSync() {
        return masterSemiSync.equalsIgnoreCase("true");
    }

    /** The PEM file of the CA that signed the master's certificate, if set. */
    public Optional<Path> masterSslCa() {
        return masterSslCa.isEmpty() ? Optional.empty() : Optional.of(Path.of(masterSslCa));
    }

    /** The HTTPS port from the {@code HTTPS_PORT} variable; -1 when HTTPS is off. */
    public int httpsPort() {
        try {
            return Integer.parseInt(httpsPort.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public int raftPort() {
        return Integer.parseInt(raftPort.trim());
    }

    /** The members as {@code name@host:port} strings (format checked by the raft package). */
    public List<String> raftMemberList() {
        if (raftMembers == null || raftMembers.isBlank()) {
            return List.of(nodeName + "@127.0.0.1:" + raftPort.trim());
        }
        List<String> members = Arrays.stream(raftMembers.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
        for (String member : members) {
            if (!member.matches("[A-Za-z0-9_.-]+@[^:@\\s]+:\\d{1,5}")) {
                throw new IllegalArgumentException("kingbus.raft.members entry '" + member
                        + "' must look like name@host:port");
            }
        }
        return members;
    }

    /** Keep at most this many bytes of binlog (whole files); 0 = no size limit. */
    public long retentionMaxBytes() {
        return parseSize(retentionSize);
    }

    /** Drop binlog files the master closed longer ago than this; zero = no age limit. */
    public Duration retentionMaxAge() {
        return parseAge(retentionAge);
    }

    /**
     * How often the store's appends since the last sync are forced to disk; a crash makes a node replay at
     * most this much of its Raft log into the store again.
     */
    public long storeSyncMillis() {
        return Long.parseLong(storeSyncMillis.trim());
    }

    /** Appends wait (the node is not ready) while fewer bytes than this are usable on the data dir's disk. */
    public long storeMinFreeBytes() {
        return parseSize(storeMinFreeBytes);
    }

    /**
     * The zstd level new store segments are compressed with ({@code kingbus.store.compression=zstd} at
     * {@code kingbus.store.compression-level}), or 0 when they are stored as they are.
     */
    public int storeZstdLevel() {
        return storeCompression.equals("zstd") ? Integer.parseInt(storeCompressionLevel.trim()) : 0;
    }

    /** How often the leader applies the retention settings. */
    public Duration retentionCheckInterval() {
        return Duration.ofSeconds(Long.parseLong(retentionCheckSeconds.trim()));
    }

    /**
     * A size such as {@code 50GB}, {@code 512M}, {@code 1048576}: K, M, G, T (optionally followed by
     * B) are powers of 1024, as in MariaDB's own size options. Hand-written: MicroProfile Config has
     * no size converter.
     */
    static long parseSize(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*([KMGT]?)B?\\s*").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("is not a size: expected a whole number of bytes, optionally with K, M,"
                    + " G or T (e.g. 50GB); 0 means no limit");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long number = Long.parseLong(m.group(1));
        if (number > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("is too large");
        }
        return number << shift;
    }

    /** An age such as {@code 7d}, {@code 12h}, {@code 30m}, {@code 90s} or {@code 0} (no limit). */
    static Duration parseAge(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*([DHMS]?)\\s*").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("is not an age: expected a whole number with d, h, m or s (e.g. 7d);"
                    + " 0 means no limit");
        }
        long number = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "d" -> Duration.ofDays(number);
            case "h" -> Duration.ofHours(number);
            case "m" -> Duration.ofMinutes(number);
            default -> Duration.ofSeconds(number);
        };
    }

    public long raftMaxLogBytes() {
        return Long.parseLong(raftMaxLogBytes.trim());
    }

    /** The bound on entry bytes in one catch-up message from the leader to a follower that is behind. */
    public int raftMaxResendBytes() {
        return Integer.parseInt(raftMaxResendBytes.trim());
    }

    public int raftMaxEntryBytes() {
        return Integer.parseInt(raftMaxEntryBytes.trim());
    }

    /**
     * How long a follower may know of committed entries it has not applied before it reports not
     * ready (it is catching up, so replicas should be sent elsewhere).
     */
    public Duration raftMaxApplyLag() {
        return Duration.ofSeconds(Long.parseLong(raftMaxApplyLagSeconds.trim()));
    }
}
