package kingbus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One Kingbus node as a real child process: the installed Liberty server that {@code mvn liberty:run} runs
 * ({@code target/liberty/wlp/bin/server run kingbus}, built by {@code mvn package}) with its own output dir,
 * or, in a network namespace or after {@link #installedServer(boolean) installedServer(false)}, the runnable
 * jar ({@code java -jar target/kingbus.jar}) with its own extract dir. Configured through environment
 * variables, with its own data dir and ports. Can be killed with SIGKILL and restarted on the same data.
 * Not thread-safe: one test thread drives it; the warm Liberty workarea all nodes start from is built once
 * per JVM under a lock.
 */
public final class KingbusProcess implements AutoCloseable {

    public static final String REPLICA_USER = "repl";
    public static final String REPLICA_PASSWORD = "kingbus-replica-pass";
    public static final String ADMIN_USER = "admin";
    public static final String ADMIN_PASSWORD = "kingbus-admin-pass";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path dir;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final int httpPort;
    private final int mysqlPort;
    private ProcessHandle process;
    private int starts;
    private String maxHeap = "512m";
    private boolean installedServer = true;
    /** Where the node listens (HTTP, MySQL, Raft): loopback unless it runs in a network namespace. */
    private String host = "127.0.0.1";
    /** The network namespace the node runs in ({@code ip netns exec}), or null for this host's. */
    private String namespace;

    private KingbusProcess(Path dir, Map<String, String> settings) {
        this.dir = dir;
        this.httpPort = Ports.free();
        this.mysqlPort = Ports.free();
        env.put("HTTP_PORT", String.valueOf(httpPort));
        env.put("KINGBUS_NODE_NAME", "n1");
        env.put("KINGBUS_DATA_DIR", dir.resolve("data").toString());
        env.put("KINGBUS_MYSQL_PORT", String.valueOf(mysqlPort));
        env.put("KINGBUS_RAFT_PORT", String.valueOf(Ports.free()));
        env.put("KINGBUS_REPLICA_USER", REPLICA_USER);
        env.put("KINGBUS_REPLICA_PASSWORD", REPLICA_PASSWORD);
        env.put("KINGBUS_ADMIN_USER", ADMIN_USER);
        env.put("KINGBUS_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.putAll(settings);
    }

    /** A node replicating from {@code master} with the master's repl account. */
    public static KingbusProcess forMaster(MariaDb master, Map<String, String> extra) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("KINGBUS_MASTER_HOST", "127.0.0.1");
        settings.put("KINGBUS_MASTER_PORT", String.valueOf(master.port()));
        settings.put("KINGBUS_MASTER_USER", MariaDb.REPL_USER);
        settings.put("KINGBUS_MASTER_PASSWORD", MariaDb.REPL_PASSWORD);
        settings.putAll(extra);
        return create(settings);
    }

    /**
     * {@code size} nodes n1..nN replicating from {@code master} as one Raft group (not started).
     */
    public static List<KingbusProcess> cluster(MariaDb master, int size) {
        return cluster(master, size, Map.of());
    }

    /** As {@link #cluster(MariaDb, int)}, every node also with {@code extra} settings. */
    public static List<KingbusProcess> cluster(MariaDb master, int size, Map<String, String> extra) {
        return cluster(master, java.util.Collections.nCopies(size, "127.0.0.1"), extra);
    }

    /**
     * One node per namespace of {@code net}, n1..nN, replicating from {@code master} (which listens on the bridge,
     * {@link NetNamespaces#hostAddress()}) as one Raft group; node i runs in namespace i and listens on its address
     * for everything: HTTP, MySQL and Raft (not started).
     */
    public static List<KingbusProcess> clusterInNamespaces(MariaDb master, NetNamespaces net) {
        return clusterInNamespaces(master, net, Map.of("KINGBUS_MASTER_HOST", net.hostAddress()));
    }

    /** As {@link #clusterInNamespaces(MariaDb, NetNamespaces)}, with these settings (the master's host among them). */
    public static List<KingbusProcess> clusterInNamespaces(MariaDb master, NetNamespaces net,
            Map<String, String> settings) {
        List<String> hosts = new java.util.ArrayList<>();
        for (int i = 1; i <= net.count(); i++) {
            hosts.add(net.address(i));
        }
        List<KingbusProcess> nodes = cluster(master, hosts, settings);
        for (int i = 0; i < nodes.size(); i++) {
            KingbusProcess node = nodes.get(i);
            node.host = hosts.get(i);
            node.namespace = net.namespace(i + 1);
            node.installedServer = false;
            node.env.put("KINGBUS_MYSQL_HOST", node.host);
            node.env.put("HTTP_HOST", node.host);
        }
        return nodes;
    }

    /** Nodes n1..nN, node i a Raft member at {@code raftHosts.get(i - 1)}, each also with {@code extra} settings. */
    private static List<KingbusProcess> cluster(MariaDb master, List<String> raftHosts, Map<String, String> extra) {
        List<Integer> raftPorts = new java.util.ArrayList<>();
        StringBuilder members = new StringBuilder();
        for (int i = 1; i <= raftHosts.size(); i++) {
            int port = Ports.free();
            raftPorts.add(port);
            members.append(i > 1 ? "," : "").append('n').append(i).append('@').append(raftHosts.get(i - 1))
                    .append(':').append(port);
        }
        List<KingbusProcess> nodes = new java.util.ArrayList<>();
        for (int i = 1; i <= raftHosts.size(); i++) {
            Map<String, String> settings = new LinkedHashMap<>(extra);
            settings.put("KINGBUS_NODE_NAME", "n" + i);
            settings.put("KINGBUS_RAFT_PORT", String.valueOf(raftPorts.get(i - 1)));
            settings.put("KINGBUS_RAFT_MEMBERS", members.toString());
            nodes.add(forMaster(master, settings));
        }
        return nodes;
    }

    public String nodeName() {
        return env.get("KINGBUS_NODE_NAME");
    }

    /** The address the node listens on. */
    public String host() {
        return host;
    }

    /** The readiness JSON's {@code raft.role} of this node, or "" when it does not answer. */
    public String role() {
        try {
            String body = get("/health/ready").body();
            int at = body.indexOf("\"raft.role\":\"");
            return at < 0 ? "" : body.substring(at + 13, body.indexOf('"', at + 13));
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** Starts every node, then waits until each is ready. */
    public static void startAll(List<KingbusProcess> nodes) {
        nodes.forEach(KingbusProcess::start);
        nodes.forEach(KingbusProcess::awaitReady);
    }

    /** The live node that reports itself Raft leader, waiting up to a minute for one. */
    public static KingbusProcess leaderOf(List<KingbusProcess> nodes) {
        return Awaitility.await("a Raft leader among " + nodes.size() + " nodes").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> nodes.stream().filter(n -> n.isAlive() && n.role().equals("leader")).findFirst()
                        .orElse(null), n -> n != null);
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public static KingbusProcess create(Map<String, String> settings) {
        try {
            return new KingbusProcess(Files.createTempDirectory("kingbus-node-"), settings);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JVM's -Xmx for the next start (512m unless set). */
    public KingbusProcess maxHeap(String xmx) {
        this.maxHeap = xmx;
        return this;
    }

    /**
     * Runs the installed server ({@code target/liberty/wlp}, as {@code mvn liberty:run} does; the default) instead
     * of the runnable jar: no extraction at each start, and Liberty's caches (the output dir's workarea) are warm,
     * as in a production server started before: at its first start a node's output dir gets a copy of the
     * workarea of one start made for that in this JVM. A cold start took about 15 CPU-seconds, a warm one 10-11,
     * on the 2 cores three nodes share. Each start logs to its own dir.
     */
    public KingbusProcess installedServer() {
        return installedServer(true);
    }

    /** Runs the installed server from the next start on when true (the default), the runnable jar when false. */
    public KingbusProcess installedServer(boolean installed) {
        this.installedServer = installed;
        return this;
    }

    /**
     * Starts the process; returns once Liberty answers /health/started with 200. A node whose HTTP port was taken
     * when Liberty bound it (CWWKO0221E: Liberty starts anyway, without its HTTP endpoint) is stopped and started
     * again, up to three times: a restart reuses the node's ports, and on a busy host something else can hold one
     * for a moment (seen once in FollowerCatchUpIT); that is the host's doing, not Kingbus's.
     */
    public KingbusProcess start() {
        for (int attempt = 1; ; attempt++) {
            long consoleFrom = dir.resolve("console.log").toFile().length();
            launch();
            try {
                awaitHealth("/health/started", 200, Duration.ofSeconds(120), () -> httpPortTaken(consoleFrom));
                return this;
            } catch (HttpPortTaken e) {
                if (attempt == 3) {
                    throw new IllegalStateException("HTTP port " + httpPort + " was taken at each of 3 starts:\n"
                            + logTail());
                }
                System.err.println("KingbusProcess: HTTP port " + httpPort + " was taken (CWWKO0221E) at start "
                        + attempt + " of " + nodeName() + "; starting it again");
                stop();
                sleepQuietly(Duration.ofSeconds(3));
            }
        }
    }

    private void launch() {
        starts++;
        ProcessBuilder builder = installedServer ? installedServerCommand() : runnableJarCommand();
        builder.directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()));
        try {
            process = builder.start().toHandle();
            Processes.track(process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when the console output since {@code from} says Liberty could not bind this node's HTTP port. */
    private boolean httpPortTaken(long from) {
        try (java.io.RandomAccessFile console = new java.io.RandomAccessFile(dir.resolve("console.log").toFile(), "r")) {
            if (console.length() <= from) {
                return false;
            }
            byte[] added = new byte[(int) Math.min(console.length() - from, 1 << 20)];
            console.seek(from);
            console.readFully(added);
            String text = new String(added, java.nio.charset.StandardCharsets.UTF_8);
            return text.lines().anyMatch(line -> line.contains("CWWKO0221E") && line.contains("port " + httpPort + "."));
        } catch (IOException e) {
            return false;
        }
    }

    /** Liberty could not bind the node's HTTP port at this start. */
    private static final class HttpPortTaken extends RuntimeException {
        HttpPortTaken() {
            super(null, null, false, false);
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ProcessBuilder runnableJarCommand() {
        String jar = System.getProperty("kingbus.jar", "target/kingbus.jar");
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException("No runnable jar at " + jar + ": run mvn package first");
        }
        List<String> command = new java.util.ArrayList<>();
        if (namespace != null) {
            command.addAll(List.of("ip", "netns", "exec", namespace)); // it execs java: the same process id
        }
        command.add(javaBinary());
        command.addAll(jvmOptions());
        command.addAll(List.of("-jar", jar));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        // The runnable jar refuses an extract dir left behind by a killed process: one per start.
        builder.environment().put("WLP_JAR_EXTRACT_DIR", dir.resolve("wlp-" + starts).toString());
        return builder;
    }

    /**
     * The node JVM's options: those Kingbus runs with (bin/kingbus.jvm-options, as bin/cluster.sh passes them),
     * {@link #maxHeap}, then those of system property {@code kingbus.test.jvm-args} (bench/lib.sh's BENCH_JVM_ARGS).
     */
    private List<String> jvmOptions() {
        List<String> options = new java.util.ArrayList<>(shippedJvmOptions());
        options.add("-Xmx" + maxHeap);
        options.addAll(extraJvmOptions());
        return options;
    }

    /** The options of system property {@code kingbus.test.jvm-args} (bench/lib.sh's BENCH_JVM_ARGS), or none. */
    public static List<String> extraJvmOptions() {
        String extra = System.getProperty("kingbus.test.jvm-args", "").strip();
        return extra.isEmpty() ? List.of() : List.of(extra.split("\\s+"));
    }

    /** The option lines of bin/kingbus.jvm-options (comments and blank lines left out). */
    public static List<String> shippedJvmOptions() {
        Path file = Path.of("bin/kingbus.jvm-options"); // failsafe runs in the project directory
        try {
            return Files.readAllLines(file).stream().map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the shipped JVM options " + file, e);
        }
    }

    private ProcessBuilder installedServerCommand() {
        if (namespace != null) {
            throw new IllegalStateException("A node in a network namespace runs from the runnable jar only");
        }
        Path wlp = Path.of(System.getProperty("kingbus.wlp.dir", "target/liberty/wlp"));
        Path script = wlp.resolve("bin/server");
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException("No installed Liberty server at " + wlp + ": run mvn package first");
        }
        Path workarea = dir.resolve("liberty").resolve("kingbus").resolve("workarea");
        if (!Files.exists(workarea)) {
            try {
                Processes.copyTree(warmWorkarea(wlp), workarea);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return serverRun(wlp, env, jvmOptions(), dir.resolve("liberty"), dir.resolve("logs-" + starts));
    }

    /** {@code server run kingbus} of the installed server {@code wlp}, with its own output and log dirs. */
    private static ProcessBuilder serverRun(Path wlp, Map<String, String> env, List<String> jvmOptions, Path outputDir,
            Path logDir) {
        // "server run" execs the JVM, so the child's pid is the JVM's (kill -9 hits the server itself).
        ProcessBuilder builder = new ProcessBuilder(wlp.resolve("bin/server").toString(), "run", "kingbus");
        // The server script is a shell script: a variable whose name is not a shell name (kingbus.store.compression)
        // would not reach the JVM. MicroProfile Config reads it under its upper-case, underscored name too.
        env.forEach((name, value) -> builder.environment().put(
                name.matches("[A-Za-z_][A-Za-z0-9_]*") ? name : name.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(
                        java.util.Locale.ROOT), value));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("JVM_ARGS", String.join(" ", jvmOptions));
        builder.environment().put("WLP_OUTPUT_DIR", outputDir.toString());
        builder.environment().put("LOG_DIR", logDir.toString());
        return builder;
    }

    /** Liberty's workarea after one start and clean stop of the installed server, made once per JVM. */
    private static Path warmWorkarea;

    /**
     * The workarea of one start of the installed server {@code wlp} without a master, stopped cleanly: its
     * feature and bundle caches, which a node given a copy finds warm. Built at the first call in this JVM.
     */
    private static synchronized Path warmWorkarea(Path wlp) throws IOException {
        if (warmWorkarea != null) {
            return warmWorkarea;
        }
        Path dir = Files.createTempDirectory("kingbus-warm-liberty-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Processes.deleteTree(dir)));
        int port = Ports.free();
        Map<String, String> env = Map.of("HTTP_PORT", String.valueOf(port),
                "KINGBUS_DATA_DIR", dir.resolve("data").toString(),
                "KINGBUS_MYSQL_PORT", String.valueOf(Ports.free()),
                "KINGBUS_RAFT_PORT", String.valueOf(Ports.free()),
                "KINGBUS_REPLICA_PASSWORD", REPLICA_PASSWORD,
                "KINGBUS_ADMIN_PASSWORD", ADMIN_PASSWORD);
        ProcessHandle server = serverRun(wlp, env, shippedJvmOptions(), dir.resolve("liberty"), dir.resolve("logs"))
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("console.log").toFile()).start().toHandle();
        Processes.track(server);
        try {
            Awaitility.await("the Liberty server that warms the workarea").atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(UncheckedIOException.class)
                    .until(() -> {
                        if (!server.isAlive()) {
                            throw new IllegalStateException("The Liberty server that warms the workarea exited:\n"
                                    + Processes.tail(dir.resolve("console.log"), 30));
                        }
                        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/started")))
                                .statusCode() == 200;
                    });
        } finally {
            Processes.stop(server, 60);
        }
        warmWorkarea = dir.resolve("liberty").resolve("kingbus").resolve("workarea");
        return warmWorkarea;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The JVM's process id (for jcmd), or -1 when not running. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Waits until /health/ready answers 200. */
    public KingbusProcess awaitReady() {
        awaitHealth("/health/ready", 200, Duration.ofSeconds(60));
        return this;
    }

    private void awaitHealth(String path, int status, Duration timeout) {
        awaitHealth(path, status, timeout, () -> false);
    }

    /** As above, failing at once with {@link HttpPortTaken} when {@code portTaken} says so. */
    private void awaitHealth(String path, int status, Duration timeout, java.util.function.BooleanSupplier portTaken) {
        try {
            Awaitility.await("Kingbus " + path + " = " + status).atMost(timeout).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptionsInstanceOf(UncheckedIOException.class)
                    .until(() -> {
                        if (process != null && !process.isAlive()) {
                            throw new IllegalStateException("Kingbus exited:\n" + logTail());
                        }
                        try {
                            return get(path).statusCode() == status;
                        } catch (UncheckedIOException e) {
                            if (portTaken.getAsBoolean()) {
                                throw new HttpPortTaken();
                            }
                            throw e;
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(e.getMessage() + "\nreadiness: " + safeBody("/health/ready") + "\n" + logTail(), e);
        }
    }

    private String safeBody(String path) {
        try {
            return get(path).body();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    public HttpResponse<String> get(String path) {
        return request(HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort + path)).GET());
    }

    /** The value of one application metric (e.g. {@code kingbus_store_bytes}), from /metrics. */
    public long metric(String name) {
        String metrics = get("/metrics?scope=application").body();
        return metrics.lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .map(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in\n" + metrics));
    }

    /** "file:position" of SHOW MASTER STATUS on this node, as the replica user. */
    public String binlogEnd() throws java.sql.SQLException {
        return MariaDb.binlogEnd(host, mysqlPort, REPLICA_USER, REPLICA_PASSWORD);
    }

    /** {@code @@gtid_binlog_pos} of this node (its committed GTID state), as the replica user. */
    public String gtidBinlogPos() throws java.sql.SQLException {
        try (java.sql.Connection c = MariaDb.connect(host, mysqlPort, REPLICA_USER, REPLICA_PASSWORD,
                new java.util.Properties());
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rows = s.executeQuery("SELECT @@gtid_binlog_pos")) {
            return rows.next() ? rows.getString(1) : "";
        }
    }

    /** SHOW BINARY LOGS on this node, as the replica user: file name to size, oldest first. */
    public Map<String, Long> binaryLogSizes() throws java.sql.SQLException {
        return MariaDb.binaryLogSizes(host, mysqlPort, REPLICA_USER, REPLICA_PASSWORD);
    }

    /** GET on the admin API with the admin credentials. */
    public HttpResponse<String> adminGet(String path) {
        return request(HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort + path)).GET()
                .header("Authorization", adminAuthorization()));
    }

    /** POST of a JSON body on the admin API with the admin credentials. */
    public HttpResponse<String> adminPost(String path, String json) {
        return request(HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort + path))
                .POST(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json")
                .header("Authorization", adminAuthorization()));
    }

    /** {@code method} (PUT, DELETE, ...) with a JSON body ("" for none) on the admin API with the admin credentials. */
    public HttpResponse<String> adminSend(String method, String path, String json) {
        return request(HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort + path))
                .method(method, json.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json").header("Authorization", adminAuthorization()));
    }

    private static String adminAuthorization() {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((ADMIN_USER + ":" + ADMIN_PASSWORD)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public HttpResponse<String> request(HttpRequest.Builder builder) {
        return send(builder);
    }

    /** Sends the request with a 10 s timeout; an I/O failure is an {@link UncheckedIOException}. */
    private static HttpResponse<String> send(HttpRequest.Builder builder) {
        try {
            return HTTP.send(builder.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** kill -9. */
    public void kill9() {
        Processes.kill(process);
    }

    /**
     * SIGSTOP: the process freezes with its sockets open, as a host that died or was cut off looks
     * to its peers (no connection is closed, so they only notice by timeouts). Undo with {@link #thaw}.
     */
    public void freeze() {
        signal("-STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw() {
        signal("-CONT");
    }

    private void signal(String which) {
        Processes.run(null, List.of("kill", which, String.valueOf(process.pid())), 10);
    }

    /** SIGTERM and wait for a clean stop. */
    public void stop() {
        Processes.stop(process, 60);
    }

    /** Sets one setting (an environment variable such as {@code KINGBUS_MASTER_PORT}) for the next {@link #start}. */
    public KingbusProcess setting(String name, String value) {
        env.put(name, value);
        return this;
    }

    public int mysqlPort() {
        return mysqlPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public Path dir() {
        return dir;
    }

    /** The console output and Liberty's messages.log, last lines of each. */
    public String logTail() {
        StringBuilder text = new StringBuilder("--- console.log\n").append(Processes.tail(dir.resolve("console.log"), 30));
        try (var paths = Files.walk(dir)) {
            for (Path log : paths.filter(p -> p.getFileName().toString().equals("messages.log")).toList()) {
                text.append("\n--- ").append(log).append('\n').append(Processes.tail(log, 60));
            }
        } catch (IOException e) {
            text.append("\n(cannot list logs: ").append(e).append(')');
        }
        return text.toString();
    }

    /**
     * For a failed test: each node's readiness and, across all its starts, its last warnings,
     * errors, Raft role changes and syncer lines.
     */
    /** A test's body. */
    @FunctionalInterface
    public interface Scenario {
        void run() throws Exception;
    }

    /**
     * Runs {@code scenario}; when it fails, prints every node's readiness and log tail and every replica's status
     * ({@link #printDiagnostics(List, List)}) before the failure goes on. The lists are read then, so they may fill
     * while it runs.
     */
    public static void withDiagnostics(List<KingbusProcess> nodes, List<MariaDb> replicas, Scenario scenario)
            throws Exception {
        try {
            scenario.run();
        } catch (Exception | AssertionError e) {
            printDiagnostics(nodes, replicas);
            throw e;
        }
    }

    /** As {@link #printDiagnostics(List)}, then each replica's {@code SHOW SLAVE STATUS}. */
    public static void printDiagnostics(List<KingbusProcess> nodes, List<MariaDb> replicas) {
        printDiagnostics(nodes);
        for (MariaDb replica : replicas) {
            System.err.println("===== replica " + replica.port() + " " + replica.slaveStatus());
        }
    }

    public static void printDiagnostics(List<KingbusProcess> nodes) {
        for (KingbusProcess node : nodes) {
            String ready;
            try {
                ready = node.isAlive() ? node.get("/health/ready").body() : "(dead)";
            } catch (RuntimeException e) {
                ready = "(no answer: " + e + ")";
            }
            List<String> notable = node.messages().stream()
                    .filter(l -> l.contains(" W ") || l.contains(" E ") || l.contains("Raft role")
                            || l.contains("yncer") || l.contains("Kingbus node") || l.contains("Binlog store")
                            || l.contains("Joined Raft") || l.contains("napshot"))
                    .filter(l -> !l.contains("ISPN000714"))
                    .toList();
            System.err.println("===== node " + node.nodeName() + " " + ready + "\n"
                    + String.join("\n", notable.subList(Math.max(0, notable.size() - 80), notable.size())));
        }
    }

    /** Every messages.log line of this node (all starts). */
    public List<String> messages() {
        try (var paths = Files.walk(dir)) {
            List<String> lines = new java.util.ArrayList<>();
            for (Path log : paths.filter(p -> p.getFileName().toString().equals("messages.log")).toList()) {
                lines.addAll(Files.readAllLines(log));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process != null) {
            Processes.stop(process, 60);
        }
        Processes.deleteTree(dir);
    }
}
