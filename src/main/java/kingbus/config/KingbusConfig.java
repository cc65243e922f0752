package kingbus.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

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

    @Inject
    @ConfigProperty(name = "kingbus.node.name", defaultValue = "n1")
    String nodeName;

    /** Defaults (server.xml) to {@code ${server.output.dir}/kingbus-data}. */
    @Inject
    @ConfigProperty(name = "kingbus.data.dir", defaultValue = "kingbus-data")
    String dataDir;

    @Inject
    @ConfigProperty(name = "kingbus.mysql.host", defaultValue = "127.0.0.1")
    String mysqlHost;

    @Inject
    @ConfigProperty(name = "kingbus.mysql.port", defaultValue = "3307")
    String mysqlPort;

    @Inject
    @ConfigProperty(name = "kingbus.mysql.max-connections", defaultValue = "1000")
    String maxConnections;

    @Inject
    @ConfigProperty(name = "kingbus.mysql.idle-timeout-seconds", defaultValue = "28800")
    String idleTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "kingbus.server.id", defaultValue = "4242")
    String serverId;

    @Inject
    @ConfigProperty(name = "kingbus.master.host")
    Optional<String> masterHost;

    @Inject
    @ConfigProperty(name = "kingbus.master.port", defaultValue = "3306")
    String masterPort;

    @Inject
    @ConfigProperty(name = "kingbus.master.user", defaultValue = "repl")
    String masterUser;

    @Inject
    @ConfigProperty(name = "kingbus.master.password", defaultValue = "")
    String masterPassword;

    @Inject
    @ConfigProperty(name = "kingbus.master.heartbeat-seconds", defaultValue = "1")
    String masterHeartbeatSeconds;

    @Inject
    @ConfigProperty(name = "kingbus.replica.user", defaultValue = "repl")
    String replicaUser;

    @Inject
    @ConfigProperty(name = "kingbus.replica.password", defaultValue = "")
    String replicaPassword;

    @Inject
    @ConfigProperty(name = "kingbus.admin.user", defaultValue = "admin")
    String adminUser;

    @Inject
    @ConfigProperty(name = "kingbus.admin.password", defaultValue = "")
    String adminPassword;

    @Inject
    @ConfigProperty(name = "kingbus.raft.port", defaultValue = "7800")
    String raftPort;

    /** {@code name@host:port,...}; empty means this node alone, at 127.0.0.1 and kingbus.raft.port. */
    @Inject
    @ConfigProperty(name = "kingbus.raft.members", defaultValue = " ")
    String raftMembers;

    @Inject
    @ConfigProperty(name = "kingbus.raft.max-log-bytes", defaultValue = "67108864")
    String raftMaxLogBytes;

    @Inject
    @ConfigProperty(name = "kingbus.raft.max-entry-bytes", defaultValue = "1048576")
    String raftMaxEntryBytes;

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
        checkRange(problems, "kingbus.master.heartbeat-seconds", masterHeartbeatSeconds, 1, 4_294_967);
        checkRange(problems, "kingbus.raft.max-log-bytes", raftMaxLogBytes, 1 << 20, Long.MAX_VALUE);
        checkRange(problems, "kingbus.raft.max-entry-bytes", raftMaxEntryBytes, 1024, 256L << 20);
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

    public long serverId() {
        return Long.parseLong(serverId.trim());
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

    public long raftMaxLogBytes() {
        return Long.parseLong(raftMaxLogBytes.trim());
    }

    public int raftMaxEntryBytes() {
        return Integer.parseInt(raftMaxEntryBytes.trim());
    }
}
