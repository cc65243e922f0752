package kingbus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.awaitility.Awaitility;

/**
 * A real, throwaway {@code mariadbd} on a free loopback port, in its own temp dir (datadir, socket,
 * pid file), copied from a template datadir built once per JVM (see ../shared/STACK.md). Accounts:
 * {@value #ADMIN_USER} (everything) and {@value #REPL_USER} (replication). Stopped by PID.
 */
public final class MariaDb implements AutoCloseable {

    public static final String ADMIN_USER = "admin";
    public static final String ADMIN_PASSWORD = "adminpass";
    public static final String REPL_USER = "repl";
    public static final String REPL_PASSWORD = "replpass";

    private static Path template;

    private final Path dir;
    private final int port;
    private final int serverId;
    private final List<String> extraArgs;
    /** Environment variables mariadbd runs with (e.g. libfaketime's); empty for none. */
    private Map<String, String> environment = Map.of();
    private ProcessHandle process;

    private MariaDb(Path dir, int port, int serverId, List<String> extraArgs) {
        this.dir = dir;
        this.port = port;
        this.serverId = serverId;
        this.extraArgs = extraArgs;
    }

    /** Starts a server with binlog (ROW, GTID strict mode) and the given extra mariadbd options. */
    public static MariaDb start(int serverId, String... extraArgs) {
        return startWith(Map.of(), serverId, extraArgs);
    }

    /**
     * As {@link #start(int, String...)}, mariadbd running with {@code environment} (e.g. {@link
     * #fakeTime(String)}).
     */
    public static MariaDb startWith(Map<String, String> environment, int serverId, String... extraArgs) {
        try {
            Path tpl = template();
            Path dir = Files.createTempDirectory("kingbus-mariadb-" + serverId + "-");
            Processes.copyTree(tpl, dir.resolve("data"));
            MariaDb db = new MariaDb(dir, Ports.free(), serverId, List.of(extraArgs));
            db.environment = Map.copyOf(environment);
            db.launch();
            return db;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of("mariadbd", "--no-defaults", "--user=root",
                "--datadir=" + dir.resolve("data"), "--socket=" + dir.resolve("s.sock"),
                "--pid-file=" + dir.resolve("p.pid"), "--port=" + port, "--bind-address=127.0.0.1",
                "--server-id=" + serverId, "--log-bin=mysql-bin", "--binlog-format=ROW", "--log-slave-updates",
                "--gtid-strict-mode=ON", "--skip-name-resolve", "--performance-schema=OFF",
                "--innodb-buffer-pool-size=64M", "--max-allowed-packet=64M", "--log-error=" + dir.resolve("error.log")));
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile());
        builder.environment().putAll(environment);
        Process started = builder.start();
        process = started.toHandle();
        Processes.track(process);
        try {
            Awaitility.await("mariadbd on port " + port).atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        if (!started.isAlive()) {
                            throw new IllegalStateException("mariadbd exited:\n" + Processes.tail(dir.resolve("error.log"), 30));
                        }
                        try (Connection c = connect()) {
                            return c.isValid(1);
                        } catch (SQLException e) {
                            return false;
                        }
                    });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Builds the template datadir once: install, start without networking, create the accounts. */
    private static synchronized Path template() throws IOException {
        if (template != null) {
            return template;
        }
        Path dir = Files.createTempDirectory("kingbus-mariadb-template-");
        Path data = dir.resolve("data");
        Processes.run(dir, List.of("mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=root",
                "--auth-root-authentication-method=normal", "--skip-test-db", "--tmpdir=" + dir), 120);
        Path socket = dir.resolve("s.sock");
        Process boot = new ProcessBuilder("mariadbd", "--no-defaults", "--user=root", "--datadir=" + data,
                "--socket=" + socket, "--pid-file=" + dir.resolve("p.pid"), "--tmpdir=" + dir, "--skip-networking",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M", "--log-error=" + dir.resolve("boot.log"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("boot.out").toFile()).start();
        Processes.track(boot.toHandle());
        try {
            Awaitility.await("template mariadbd").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Files.exists(socket));
            String sql = "SET SESSION sql_log_bin=0;"
                    + "CREATE USER '" + ADMIN_USER + "'@'%' IDENTIFIED BY '" + ADMIN_PASSWORD + "';"
                    + "GRANT ALL ON *.* TO '" + ADMIN_USER + "'@'%' WITH GRANT OPTION;"
                    + "CREATE USER '" + REPL_USER + "'@'%' IDENTIFIED BY '" + REPL_PASSWORD + "';"
                    + "GRANT REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR ON *.* TO '" + REPL_USER + "'@'%';";
            Awaitility.await("template accounts").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                    .ignoreExceptions().until(() -> {
                        Processes.run(dir, List.of("mariadb", "--no-defaults", "-S", socket.toString(), "-uroot",
                                "-e", sql), 30);
                        return true;
                    });
        } finally {
            Processes.stop(boot.toHandle(), 60);
        }
        Files.deleteIfExists(data.resolve("p.pid"));
        template = data;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Processes.deleteTree(dir)));
        return template;
    }

    public int port() {
        return port;
    }

    public int serverId() {
        return serverId;
    }

    public Path dir() {
        return dir;
    }

    public Connection connect() throws SQLException {
        return connect(ADMIN_USER, ADMIN_PASSWORD);
    }

    public Connection connect(String user, String password) throws SQLException {
        return connect(port, user, password);
    }

    /** A JDBC connection to a master or a Kingbus node on this host (5 s connect timeout, multi-queries allowed). */
    public static Connection connect(int port, String user, String password) throws SQLException {
        return connect(port, user, password, new Properties());
    }

    /** As {@link #connect(int, String, String)}, with further driver properties (e.g. {@code restrictedAuth}). */
    public static Connection connect(int port, String user, String password, Properties extra) throws SQLException {
        return connect("127.0.0.1", port, user, password, extra);
    }

    /** As {@link #connect(int, String, String, Properties)}, to {@code host} (a node in a network namespace). */
    public static Connection connect(String host, int port, String user, String password, Properties extra)
            throws SQLException {
        Properties props = new Properties();
        props.putAll(extra);
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5000");
        props.setProperty("allowMultiQueries", "true");
        return DriverManager.getConnection("jdbc:mariadb://" + host + ":" + port + "/", props);
    }

    /** Runs statements in one session (so SET SESSION and USE carry over). */
    public void execute(String... statements) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("On mariadbd:" + port + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row, or null. */
    public String queryString(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("On mariadbd:" + port + ": " + e.getMessage(), e);
        }
    }

    /** SHOW SLAVE STATUS as column name to value (empty when not a replica). */
    public Map<String, String> slaveStatus() {
        try (Connection c = connect(); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SHOW SLAVE STATUS")) {
            Map<String, String> status = new LinkedHashMap<>();
            if (rows.next()) {
                for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
                    status.put(rows.getMetaData().getColumnLabel(i), rows.getString(i));
                }
            }
            return status;
        } catch (SQLException e) {
            throw new IllegalStateException("On mariadbd:" + port + ": " + e.getMessage(), e);
        }
    }

    /** A numeric global status variable (e.g. {@code Rpl_semi_sync_master_yes_tx}). */
    public long globalStatus(String name) {
        return Long.parseLong(globalStatusText(name));
    }

    /** A global status variable as shown (e.g. {@code ON} for {@code Rpl_semi_sync_master_status}). */
    public String globalStatusText(String name) {
        return queryString("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                + " WHERE VARIABLE_NAME = '" + name.toUpperCase(java.util.Locale.ROOT) + "'");
    }

    public String gtidBinlogPos() {
        return queryString("SELECT @@GLOBAL.gtid_binlog_pos");
    }

    public String gtidSlavePos() {
        return queryString("SELECT @@GLOBAL.gtid_slave_pos");
    }

    /**
     * "file:position" of SHOW MASTER STATUS here. Right after a commit that rotated the binlog this can be
     * short of the new file's BINLOG_CHECKPOINT_EVENT, which MariaDB writes a moment later: compare it with a
     * node's end at each poll, not once.
     */
    public String binlogEnd() throws SQLException {
        return binlogEnd(port, ADMIN_USER, ADMIN_PASSWORD);
    }

    /** "file:position" of SHOW MASTER STATUS on a master or a Kingbus node, or "" when it shows no row. */
    public static String binlogEnd(int port, String user, String password) throws SQLException {
        return binlogEnd("127.0.0.1", port, user, password);
    }

    /** As {@link #binlogEnd(int, String, String)}, on {@code host}. */
    public static String binlogEnd(String host, int port, String user, String password) throws SQLException {
        try (Connection c = connect(host, port, user, password, new Properties()); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SHOW MASTER STATUS")) {
            return rows.next() ? rows.getString(1) + ":" + rows.getString(2) : "";
        }
    }

    /** SHOW BINARY LOGS on a master or a Kingbus node: file name to size, oldest first. */
    public static Map<String, Long> binaryLogSizes(int port, String user, String password) throws SQLException {
        return binaryLogSizes("127.0.0.1", port, user, password);
    }

    /** As {@link #binaryLogSizes(int, String, String)}, on {@code host}. */
    public static Map<String, Long> binaryLogSizes(String host, int port, String user, String password)
            throws SQLException {
        try (Connection c = connect(host, port, user, password, new Properties()); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SHOW BINARY LOGS")) {
            Map<String, Long> files = new LinkedHashMap<>();
            while (rows.next()) {
                files.put(rows.getString(1), rows.getLong(2));
            }
            return files;
        }
    }

    /** The sizes of the binlog files the server has, added up. */
    public long binlogBytes() {
        return binaryLogSizes().values().stream().mapToLong(Long::longValue).sum();
    }

    /** The binlog files the server has, oldest first. */
    public List<String> binaryLogs() {
        return new ArrayList<>(binaryLogSizes().keySet());
    }

    /** The binlog files the server has, oldest first, with their sizes (SHOW BINARY LOGS). */
    public Map<String, Long> binaryLogSizes() {
        try {
            return binaryLogSizes(port, ADMIN_USER, ADMIN_PASSWORD);
        } catch (SQLException e) {
            throw new IllegalStateException("On mariadbd:" + port + ": " + e.getMessage(), e);
        }
    }

    /** {@code CHECKSUM TABLE} of every base table outside the system schemas, by qualified name. */
    public Map<String, Long> checksums() {
        Map<String, Long> sums = new LinkedHashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = s.executeQuery("SELECT CONCAT('`', table_schema, '`.`', table_name, '`') "
                    + "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN "
                    + "('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            for (String table : tables) {
                try (ResultSet rows = s.executeQuery("CHECKSUM TABLE " + table)) {
                    rows.next();
                    sums.put(table, rows.getLong(2));
                }
            }
            return sums;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Points this server at a master (GTID mode) and starts the slave threads. */
    public void replicateFrom(int masterPort, String user, String password) {
        replicateFrom("127.0.0.1", masterPort, user, password);
    }

    /** As {@link #replicateFrom(int, String, String)}, with the master on {@code host}. */
    public void replicateFrom(String host, int masterPort, String user, String password) {
        execute("STOP SLAVE",
                "CHANGE MASTER TO MASTER_HOST='" + host + "', MASTER_PORT=" + masterPort + ", MASTER_USER='" + user
                        + "', MASTER_PASSWORD='" + password + "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1,"
                        + " MASTER_HEARTBEAT_PERIOD=1",
                "START SLAVE");
    }

    /** Replicates from a Kingbus node, at the address it listens on, as Kingbus's replica user. */
    public void replicateFrom(KingbusProcess node) {
        replicateFrom(node.host(), node.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);
    }

    /** Replicates from a Kingbus node by file and position ({@code MASTER_USE_GTID=no}), from {@code file}:4. */
    public void replicateByPositionFrom(KingbusProcess node, String file) {
        execute("STOP SLAVE",
                "CHANGE MASTER TO MASTER_HOST='" + node.host() + "', MASTER_PORT=" + node.mysqlPort() + ", MASTER_USER='"
                        + KingbusProcess.REPLICA_USER + "', MASTER_PASSWORD='" + KingbusProcess.REPLICA_PASSWORD
                        + "', MASTER_LOG_FILE='" + file + "', MASTER_LOG_POS=4, MASTER_USE_GTID=no,"
                        + " MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1",
                "START SLAVE");
    }

    /**
     * Waits until this replica has applied at least {@code gtidPos} (every domain at or past it),
     * failing early on a replication error.
     */
    public void awaitSlavePos(String gtidPos, Duration timeout) {
        Awaitility.await("replica on " + port + " reaching " + gtidPos).atMost(timeout)
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    Map<String, String> status = slaveStatus();
                    if (!"0".equals(status.getOrDefault("Last_SQL_Errno", "0"))) {
                        throw new AssertionError("replica SQL error: " + status.get("Last_SQL_Error"));
                    }
                    return reached(gtidSlavePos(), gtidPos);
                });
    }

    /** True when position {@code have} is at or past {@code want} in every domain of {@code want}. */
    static boolean reached(String have, String want) {
        Map<String, Long> haveByDomain = byDomain(have);
        for (Map.Entry<String, Long> wanted : byDomain(want).entrySet()) {
            if (haveByDomain.getOrDefault(wanted.getKey(), -1L) < wanted.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Long> byDomain(String position) {
        Map<String, Long> result = new LinkedHashMap<>();
        if (position == null || position.isBlank()) {
            return result;
        }
        for (String gtid : position.split(",")) {
            String[] parts = gtid.trim().split("-");
            result.merge(parts[0], Long.parseLong(parts[2]), Math::max);
        }
        return result;
    }

    /**
     * The environment that runs mariadbd with a clock {@code offset} off (libfaketime's syntax, e.g.
     * {@code -2d}): preloaded into mariadbd itself, not through the {@code faketime} command, which
     * would stand between the test and the PID it stops.
     */
    public static Map<String, String> fakeTime(String offset) {
        try (var libs = Files.newDirectoryStream(Path.of("/usr/lib"), "*")) {
            for (Path lib : libs) {
                Path faketime = lib.resolve("faketime").resolve("libfaketime.so.1");
                if (Files.exists(faketime)) {
                    return Map.of("LD_PRELOAD", faketime.toString(), "FAKETIME", offset);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("libfaketime is not installed (apt-get install -y faketime)");
    }

    /** Stops mariadbd cleanly and starts it again on the same data and port, without its extra environment. */
    public void restartPlain() {
        environment = Map.of();
        restart();
    }

    /** Stops mariadbd cleanly and starts it again on the same data and port. */
    public void restart() {
        try {
            Processes.stop(process, 60);
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILL: the server dies as in a crash, its newest binlog file left without a ROTATE or STOP event. */
    public void kill9() {
        Processes.kill(process);
    }

    /** SIGSTOP: the server stops reading its sockets; the kernel keeps its connections open. */
    public void freeze() {
        Processes.run(null, List.of("kill", "-STOP", String.valueOf(process.pid())), 10);
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw() {
        Processes.run(null, List.of("kill", "-CONT", String.valueOf(process.pid())), 10);
    }

    /** Stops mariadbd (SIGTERM by PID, SIGKILL after 60 s; thawed first) and deletes its directory. */
    @Override
    public void close() {
        if (process != null) {
            if (process.isAlive()) {
                thaw(); // a frozen server would not act on SIGTERM
            }
            Processes.stop(process, 60);
        }
        Processes.deleteTree(dir);
    }

    /** The tail of the error log, for failure messages. */
    public String errorLog() {
        return Processes.tail(dir.resolve("error.log"), 40);
    }
}
