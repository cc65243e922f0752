package kingbus.server;

import java.time.Duration;
import javax.net.ssl.SSLContext;
import kingbus.protocol.packet.Packets;

/**
 * What the downstream MySQL-protocol server needs to know.
 *
 * @param host address to bind
 * @param port port to bind (0 = any free port)
 * @param serverId the server id Kingbus shows to replicas (and puts in events it makes up)
 * @param replicaUser user replicas and binlog readers log in with
 * @param replicaPassword its password
 * @param adminUser operators' user (status commands)
 * @param adminPassword its password; empty disables admin logins
 * @param maxConnections connections beyond this are refused with error 1040
 * @param idleTimeout a connection idle this long outside a binlog dump is closed
 * @param tls the context for TLS connections (the client asks with an SSLRequest), or null for none
 * @param requireTls logins not over TLS are refused
 * @param authPlugin {@code mysql_native_password}: clients asking for {@code client_ed25519} get ed25519, others
 *     mysql_native_password; {@code ed25519}: every client must use ed25519
 * @param netWriteTimeout a connection whose client takes nothing of what is sent to it for this long is closed
 *     (MariaDB's {@code net_write_timeout}): a replica that froze or whose link went silent does not hold its
 *     session and thread for good
 *
 * <p>Immutable and thread-safe.
 */
public record ServerSettings(
        String host,
        int port,
        long serverId,
        String replicaUser,
        String replicaPassword,
        String adminUser,
        String adminPassword,
        int maxConnections,
        Duration idleTimeout,
        SSLContext tls,
        boolean requireTls,
        String authPlugin,
        Duration netWriteTimeout) {

    /** MariaDB's default {@code net_write_timeout}. */
    public static final Duration DEFAULT_NET_WRITE_TIMEOUT = Duration.ofSeconds(60);

    /** Settings without TLS, with mysql_native_password logins. */
    public ServerSettings(String host, int port, long serverId, String replicaUser, String replicaPassword,
            String adminUser, String adminPassword, int maxConnections, Duration idleTimeout) {
        this(host, port, serverId, replicaUser, replicaPassword, adminUser, adminPassword, maxConnections, idleTimeout,
                null, false, Packets.MYSQL_NATIVE_PASSWORD, DEFAULT_NET_WRITE_TIMEOUT);
    }
}
