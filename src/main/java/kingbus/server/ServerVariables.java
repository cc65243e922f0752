package kingbus.server;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import kingbus.protocol.binlog.LogEvent;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogReader;

/**
 * The system variables Kingbus answers {@code SELECT @@x} and {@code SHOW VARIABLES} with, as a
 * MariaDB master would: identity (server_id, server_uuid, version), binlog settings read from the
 * stored FORMAT_DESCRIPTION events, and GTID positions of the committed store.
 *
 * <p>Stateless; each call reads the store's current committed state. Thread-safe.
 */
final class ServerVariables {

    /** MariaDB replicas detect MariaDB by this prefix of the version string. */
    static final String MARIADB_VERSION_PREFIX = "5.5.5-";
    static final String DEFAULT_VERSION = "10.11.0-MariaDB-Kingbus";
    private static final String MARIADB = "MariaDB";

    private ServerVariables() {}

    /**
     * The version string of the handshake: {@code 5.5.5-} and the master's version when the store's
     * first FORMAT_DESCRIPTION event says MariaDB (replicas parse the prefix to detect MariaDB), else
     * a MariaDB-like default.
     */
    static String serverVersion(BinlogReader store) {
        return MARIADB_VERSION_PREFIX + version(store);
    }

    /** What {@code SELECT VERSION()} and {@code @@version} answer: the handshake version without the prefix. */
    static String version(BinlogReader store) {
        return firstFde(store).map(LogEvent::serverVersion).filter(v -> v.contains(MARIADB))
                .orElse(DEFAULT_VERSION);
    }

    /** CRC32 or NONE, from the newest file's FDE (CRC32 before anything is stored, MariaDB's default). */
    static String binlogChecksum(BinlogReader store) {
        return newestFde(store)
                .map(fde -> LogEvent.checksumAlgorithm(fde) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32 ? "CRC32" : "NONE")
                .orElse("CRC32");
    }

    private static Optional<byte[]> firstFde(BinlogReader store) {
        return store.files().stream().map(BinlogFile::formatDescription).filter(java.util.Objects::nonNull)
                .findFirst();
    }

    private static Optional<byte[]> newestFde(BinlogReader store) {
        List<BinlogFile> files = store.files();
        for (int i = files.size() - 1; i >= 0; i--) {
            if (files.get(i).formatDescription() != null) {
                return Optional.of(files.get(i).formatDescription());
            }
        }
        return Optional.empty();
    }

    /** Every variable, lower-case name to value, in SHOW VARIABLES order. */
    static Map<String, String> all(MysqlServer server) {
        BinlogReader store = server.store();
        ServerSettings settings = server.settings();
        String gtidPos = store.gtidState().perDomain().toString();
        Map<String, String> v = new LinkedHashMap<>();
        v.put("auto_increment_increment", "1");
        v.put("binlog_checksum", binlogChecksum(store));
        v.put("binlog_format", "ROW");
        v.put("binlog_row_image", "FULL");
        v.put("character_set_client", "utf8mb4");
        v.put("character_set_connection", "utf8mb4");
        v.put("character_set_results", "utf8mb4");
        v.put("character_set_server", "utf8mb4");
        v.put("collation_connection", "utf8mb4_general_ci");
        v.put("collation_server", "utf8mb4_general_ci");
        v.put("gtid_binlog_pos", gtidPos);
        v.put("gtid_binlog_state", store.gtidState().toString());
        v.put("gtid_current_pos", gtidPos);
        v.put("gtid_domain_id", "0");
        // Not a MariaDB variable; MySQL's name for what the binlog no longer holds: the first kept file's GTID_LIST.
        List<BinlogFile> held = store.files();
        v.put("gtid_purged", held.isEmpty() ? "" : held.get(0).startState().toString());
        v.put("gtid_slave_pos", "");
        v.put("gtid_strict_mode", "ON");
        v.put("hostname", settings.host());
        v.put("interactive_timeout", String.valueOf(settings.idleTimeout().toSeconds()));
        v.put("license", "GPL");
        v.put("log_bin", "ON");
        v.put("log_slave_updates", "ON");
        v.put("lower_case_table_names", "0");
        v.put("max_allowed_packet", "1073741824");
        v.put("net_read_timeout", "30");
        v.put("net_write_timeout", String.valueOf(settings.netWriteTimeout().toSeconds()));
        v.put("port", String.valueOf(server.boundPort()));
        v.put("read_only", "ON");
        // Kingbus serves semi-sync replicas (it sends only committed events, so an ack never holds a commit).
        v.put("rpl_semi_sync_master_enabled", "ON");
        v.put("server_id", String.valueOf(settings.serverId()));
        v.put("server_uuid", serverUuid(settings.serverId()));
        v.put("sql_mode", "");
        v.put("system_time_zone", "UTC");
        v.put("time_zone", "SYSTEM");
        v.put("transaction_isolation", "REPEATABLE-READ");
        v.put("tx_isolation", "REPEATABLE-READ");
        v.put("version", version(store));
        v.put("version_comment", "Kingbus binlog server");
        v.put("wait_timeout", String.valueOf(settings.idleTimeout().toSeconds()));
        return v;
    }

    static Optional<String> get(MysqlServer server, String name) {
        return Optional.ofNullable(all(server).get(name.toLowerCase(Locale.ROOT)));
    }

    /** A stable UUID for this server id, so MySQL tools that ask see the same one every time. */
    static String serverUuid(long serverId) {
        return UUID.nameUUIDFromBytes(("kingbus-" + serverId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Variables MariaDB declares boolean: SHOW VARIABLES says ON/OFF, {@code SELECT @@name} says 1/0. */
    private static final java.util.Set<String> BOOLEANS = java.util.Set.of("log_bin", "log_slave_updates",
            "gtid_strict_mode", "read_only", "rpl_semi_sync_master_enabled");

    /** How {@code SELECT @@name} shows a variable's value (MariaDB shows booleans as 1 and 0). */
    static String selectValue(String name, String value) {
        if (BOOLEANS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            return value.equalsIgnoreCase("ON") ? "1" : value.equalsIgnoreCase("OFF") ? "0" : value;
        }
        return value;
    }
}
