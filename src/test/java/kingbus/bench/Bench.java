package kingbus.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;
import kingbus.testing.Sysbench;

/**
 * The benchmark suite of issue 7: Kingbus against MariaDB itself, every figure a ratio to a baseline
 * measured in the same run on the same data on loopback. One master gets {@code mb} MB of binlog
 * (1 MB InnoDB transactions, ROW format, files of {@code fileMb} MB); then:
 *
 * <ul>
 *   <li>P1 ingest: a fresh MariaDB replica's IO thread pulls it all (GTID mode), then a 3-node Kingbus
 *       cluster with an empty store pulls it until the leader has applied it (committed on a majority);
 *   <li>P2 serve one: {@code mariadb-binlog --read-from-remote-server --raw} of every file from the master,
 *       then from a Kingbus follower (once each into files, compared byte for byte, then five times each into
 *       symlinks to /dev/null, alternating; ratio of the medians);
 *   <li>P3 fan-out: {@code readers} concurrent dump sessions ({@link DumpReader}) of {@code readerMb} MB each
 *       on the master, then on one Kingbus follower: aggregate MB/s, the master's CPU and dump connections;
 *   <li>P6 memory: {@code p6Readers} blocking dump sessions on the Kingbus leader with everything stored,
 *       heap after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}) and RSS;
 *   <li>P4 latency: sysbench {@code oltp_write_only} at a fixed rate on the master plus a probe writer;
 *       per transaction the arrival time at a reader on the master, on the leader and on a follower.
 * </ul>
 */
final class Bench implements AutoCloseable {

    /** What to run and how big; from system properties (the bench scripts set them). */
    record Settings(Set<String> parts, int mb, int fileMb, int readers, int readerMb, int p6Readers, String heap,
            int p4Rate, int p4Seconds, Path report, String command, boolean jfr, int baselines) {

        static Settings fromSystemProperties(String defaultParts, int defaultMb, int defaultFileMb, int defaultReaders,
                int defaultReaderMb) {
            Set<String> parts = new LinkedHashSet<>();
            for (String part : System.getProperty("kingbus.bench.parts", defaultParts).split(",")) {
                if (!part.isBlank()) {
                    parts.add(part.trim().toUpperCase(Locale.ROOT));
                }
            }
            String report = System.getProperty("kingbus.bench.report", "");
            return new Settings(parts, Integer.getInteger("kingbus.bench.mb", defaultMb),
                    Integer.getInteger("kingbus.bench.file-mb", defaultFileMb),
                    Integer.getInteger("kingbus.bench.readers", defaultReaders),
                    Integer.getInteger("kingbus.bench.reader-mb", defaultReaderMb),
                    Integer.getInteger("kingbus.bench.p6-readers", 50),
                    System.getProperty("kingbus.bench.heap", "1g"),
                    Integer.getInteger("kingbus.bench.p4-rate", 200),
                    Integer.getInteger("kingbus.bench.p4-seconds", 30),
                    report.isBlank() ? null : Path.of(report),
                    System.getProperty("kingbus.bench.command", "mvn verify -Dit.test=BenchSmokeIT"),
                    Boolean.getBoolean("kingbus.bench.jfr"), Integer.getInteger("kingbus.bench.p1-baselines", 1));
        }
    }

    /** One result: the Kingbus figure, the baseline, their ratio (NaN when there is none) and the target. */
    record Result(String id, String kingbus, String baseline, double ratio, String target, boolean met, String note) {}

    private static final String MARKER = "<!-- issue-7 rows -->";

    private final Settings settings;
    private final Cleanup cleanup = new Cleanup();
    private final Map<String, Result> results = new LinkedHashMap<>();
    private final String environment;
    private MariaDb master;
    private List<KingbusProcess> nodes;
    private KingbusProcess leader;
    private KingbusProcess follower;
    private long binlogBytes;
    private List<String> files;

    Bench(Settings settings) {
        this.settings = settings;
        this.environment = BenchEnv.describe();
        log("environment: " + environment);
        log("settings: " + settings);
    }

    Map<String, Result> results() {
        return results;
    }

    /** Runs the parts asked for, in the order P1, P2, P3, P6, P4 (they share the data and the cluster). */
    void run() throws Exception {
        long started = System.nanoTime();
        master = cleanup.add(MariaDb.start(1, "--max-binlog-size=" + ((long) settings.fileMb() << 20),
                "--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2"));
        generate(settings.mb());
        ingest(settings.parts().contains("P1"));
        if (settings.parts().contains("P2")) {
            serveOne();
        }
        if (settings.parts().contains("P3")) {
            fanOut();
        }
        if (settings.parts().contains("P6")) {
            memory();
        }
        if (settings.parts().contains("P4")) {
            latency();
        }
        log(String.format("suite done in %.0f s", (System.nanoTime() - started) / 1e9));
    }

    // ---------------------------------------------------------------- data

    private void generate(int megabytes) throws SQLException {
        long t0 = System.nanoTime();
        master.execute("CREATE DATABASE bulk", "CREATE TABLE bulk.t (id BIGINT PRIMARY KEY, pad VARCHAR(1000))");
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            s.execute("USE bulk"); // the sequence engine needs a current database
            // about 1 MB of ROW binlog per statement: 1000 rows of 1000 bytes, its own transaction
            for (int batch = 0; batch < megabytes; batch++) {
                s.execute("INSERT INTO t SELECT " + batch * 1000L + " + seq, REPEAT(CHAR(65 + (seq + " + batch
                        + ") % 26), 1000) FROM seq_1_to_1000");
            }
        }
        sleep(1000); // the master writes a new file's checkpoint event a moment after rotating
        files = master.binaryLogs();
        binlogBytes = master.binlogBytes();
        log(String.format("generated %.0f MB of binlog in %d files in %.1f s", binlogBytes / 1e6, files.size(),
                (System.nanoTime() - t0) / 1e9));
    }

    // ---------------------------------------------------------------- P1

    private void ingest(boolean withBaseline) throws Exception {
        String masterEnd = settledMasterEnd();
        double baselineSeconds = Double.NaN;
        if (withBaseline) {
            List<Double> runs = new ArrayList<>();
            for (int run = 0; run < settings.baselines(); run++) {
                runs.add(baselineIngest(masterEnd));
            }
            baselineSeconds = pct(runs, 50);
            log(String.format("P1 baseline: a MariaDB replica's IO thread pulled %.0f MB in %s s (median %.2f s,"
                    + " %.1f MB/s)", binlogBytes / 1e6, runs, baselineSeconds, binlogBytes / 1e6 / baselineSeconds));
        }

        // The cluster starts while its master account is locked (not binlogged), so nothing is pulled
        // before the clock starts; the leader's syncer is paused, the account unlocked, then the syncer resumed.
        lockReplAccount(true);
        nodes = KingbusProcess.cluster(master, 3);
        nodes.forEach(cleanup::add);
        nodes.forEach(n -> n.maxHeap(settings.heap()));
        CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(n::start))
                .toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        leader = KingbusProcess.leaderOf(nodes);
        follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        admin(leader, "/api/v1/syncer/stop");
        lockReplAccount(false);
        long leaderPid = BenchEnv.pid(leader);
        long followerPid = BenchEnv.pid(follower);
        long masterPid = BenchEnv.pid(master);
        double leaderCpu0 = BenchEnv.cpuSeconds(leaderPid);
        double followerCpu0 = BenchEnv.cpuSeconds(followerPid);
        double masterCpu0 = BenchEnv.cpuSeconds(masterPid);
        Map<String, BenchEnv.ThreadCpu> leaderThreads0 = BenchEnv.threadCpu(leaderPid);
        Map<String, BenchEnv.ThreadCpu> followerThreads0 = BenchEnv.threadCpu(followerPid);
        Path jfr = startJfr(leaderPid, "p1-leader");
        Poller leaderPoller = new Poller(leader.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD);
        leaderPoller.end();
        long t0 = System.nanoTime();
        admin(leader, "/api/v1/syncer/start");
        waitFor("the Kingbus leader holds " + masterEnd, Duration.ofMinutes(30),
                () -> masterEnd.equals(leaderPoller.end()));
        double leaderSeconds = (System.nanoTime() - t0) / 1e9;
        leaderPoller.close();
        double leaderCpu = BenchEnv.cpuSeconds(leaderPid) - leaderCpu0;
        double followerCpu = BenchEnv.cpuSeconds(followerPid) - followerCpu0;
        double masterCpu = BenchEnv.cpuSeconds(masterPid) - masterCpu0;
        log("P1 leader threads, " + BenchEnv.topThreads(leaderThreads0, BenchEnv.threadCpu(leaderPid), 12));
        log("P1 follower threads, " + BenchEnv.topThreads(followerThreads0, BenchEnv.threadCpu(followerPid), 8));
        stopJfr(leaderPid, jfr);
        waitFor("every Kingbus node holds " + masterEnd, Duration.ofMinutes(10),
                () -> nodes.stream().allMatch(n -> masterEnd.equals(endOrEmpty(n))));
        double allSeconds = (System.nanoTime() - t0) / 1e9;
        double mbps = binlogBytes / 1e6 / leaderSeconds;
        log(String.format("P1 Kingbus: committed on a majority (leader applied) in %.2f s (%.1f MB/s); on all 3 "
                + "nodes in %.2f s; CPU s during the pull: leader %.1f, a follower %.1f, master %.1f",
                leaderSeconds, mbps, allSeconds, leaderCpu, followerCpu, masterCpu));
        if (withBaseline) {
            double ratio = baselineSeconds / leaderSeconds;
            double baseMbps = binlogBytes / 1e6 / baselineSeconds;
            put(new Result("P1 ingest", String.format("%.1f MB/s (%.0f MB in %.1f s to a majority; %.1f s to all 3;"
                    + " leader CPU %.0f s, follower %.0f s)", mbps, binlogBytes / 1e6, leaderSeconds, allSeconds,
                    leaderCpu, followerCpu), String.format("%.1f MB/s (replica IO thread, GTID mode, %.2f s%s)",
                    baseMbps, baselineSeconds, settings.baselines() > 1 ? ", median of " + settings.baselines() : ""), ratio, ">= 1.5x", ratio >= 1.5,
                    "clock: syncer resumed on the elected leader (account unlocked, nothing pulled before) until "
                            + "the leader's SHOW MASTER STATUS equals the master's"));
        }
    }

    /** A fresh MariaDB replica's IO thread pulls everything (GTID mode); returns the seconds it took. */
    private double baselineIngest(String masterEnd) throws Exception {
        try (MariaDb replica = MariaDb.start(2, "--relay-log=relay-bin")) {
            replica.execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + master.port()
                    + ", MASTER_USER='" + MariaDb.REPL_USER + "', MASTER_PASSWORD='" + MariaDb.REPL_PASSWORD
                    + "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1");
            // 1 s heartbeats, as Kingbus's syncer asks: the master's dump thread notices a closed replica
            // only when a write fails, so with the default (30 s) it outlives the replica by up to a minute.
            double seconds;
            try (Poller poller = new Poller(replica.port(), MariaDb.ADMIN_USER, MariaDb.ADMIN_PASSWORD)) {
                poller.row("SELECT 1");
                long t0 = System.nanoTime();
                replica.execute("START SLAVE IO_THREAD");
                waitFor("the replica's IO thread has read " + masterEnd, Duration.ofMinutes(20), () -> {
                    Map<String, String> status = poller.row("SHOW SLAVE STATUS");
                    if (!"0".equals(status.getOrDefault("Last_IO_Errno", "0"))) {
                        throw new IllegalStateException("replica IO error: " + status.get("Last_IO_Error"));
                    }
                    return masterEnd.equals(status.get("Master_Log_File") + ":" + status.get("Read_Master_Log_Pos"));
                });
                seconds = (System.nanoTime() - t0) / 1e9;
            }
            replica.execute("STOP SLAVE");
            return seconds;
        }
    }

    private void lockReplAccount(boolean lock) {
        master.execute("SET SESSION sql_log_bin=0",
                "ALTER USER '" + MariaDb.REPL_USER + "'@'%' ACCOUNT " + (lock ? "LOCK" : "UNLOCK"));
    }

    private static void admin(KingbusProcess node, String path) {
        String auth = Base64.getEncoder().encodeToString((KingbusProcess.ADMIN_USER + ":"
                + KingbusProcess.ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
        var response = node.request(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .header("Authorization", "Basic " + auth).POST(HttpRequest.BodyPublishers.noBody()));
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " on " + node.nodeName() + ": " + response.statusCode() + " "
                    + response.body());
        }
    }

    // ---------------------------------------------------------------- P2

    /** Timed P2 rounds per side, after one checked download each (see {@link #serveOne}). */
    private static final int P2_TIMED_ROUNDS = 5;

    /**
     * P2. One download from each side into real files in /dev/shm, whose digests must match; then
     * {@value #P2_TIMED_ROUNDS} timed downloads from each side, alternating, whose files are symlinks to
     * /dev/null. The client's own writes vary a lot here: the same 512 MB download into /dev/shm took
     * mariadb-binlog 0.6-2.2 s of system time (2026-12-02), which hid the servers' difference. The ratio is
     * of the medians; the best of each is given too.
     */
    private void serveOne() throws Exception {
        Path shm = Path.of("/dev/shm");
        Path base = Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        List<Double> masterTimes = new ArrayList<>();
        List<Double> kingbusTimes = new ArrayList<>();
        List<String> timings = new ArrayList<>();
        Map<String, String> masterDigests = null;
        Map<String, String> kingbusDigests = null;
        long nodePid = BenchEnv.pid(follower);
        long masterPid = BenchEnv.pid(master);
        // CPU seconds of each timed download: the client's (mariadb-binlog) and the serving process's, by side
        Map<Boolean, List<Double>> clientCpu = Map.of(false, new ArrayList<>(), true, new ArrayList<>());
        Map<Boolean, List<Double>> serverCpu = Map.of(false, new ArrayList<>(), true, new ArrayList<>());
        Path jfr = startJfr(nodePid, "p2-follower");
        Map<String, BenchEnv.ThreadCpu> threads0 = BenchEnv.threadCpu(nodePid);
        for (int round = 0; round <= P2_TIMED_ROUNDS; round++) {
            boolean checked = round == 0;
            for (boolean fromKingbus : new boolean[] {false, true}) {
                Path out = Files.createTempDirectory(base, "kingbus-bench-raw-");
                try {
                    if (!checked) {
                        for (String file : files) {
                            Files.createSymbolicLink(out.resolve(file), Path.of("/dev/null"));
                        }
                    }
                    long serverPid = fromKingbus ? nodePid : masterPid;
                    double client0 = BenchEnv.endedChildrenCpuSeconds();
                    double server0 = BenchEnv.cpuSeconds(serverPid);
                    long t0 = System.nanoTime();
                    if (fromKingbus) {
                        downloadRaw(follower.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD,
                                out);
                    } else {
                        downloadRaw(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, out);
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    timings.add(String.format("%s %.2f s%s", fromKingbus ? "kingbus" : "master", seconds,
                            checked ? " (to files, checked)" : ""));
                    if (checked) {
                        Map<String, String> digests = digests(out);
                        if (fromKingbus) {
                            kingbusDigests = digests;
                        } else {
                            masterDigests = digests;
                        }
                    } else {
                        (fromKingbus ? kingbusTimes : masterTimes).add(seconds);
                        clientCpu.get(fromKingbus).add(BenchEnv.endedChildrenCpuSeconds() - client0);
                        serverCpu.get(fromKingbus).add(BenchEnv.cpuSeconds(serverPid) - server0);
                    }
                } finally {
                    Processes.deleteTree(out);
                }
            }
        }
        log("P2 serving follower threads, all " + (P2_TIMED_ROUNDS + 1) + " downloads, "
                + BenchEnv.topThreads(threads0, BenchEnv.threadCpu(nodePid), 8));
        stopJfr(nodePid, jfr);
        boolean identical = masterDigests.equals(kingbusDigests);
        double medianMaster = median(masterTimes);
        double medianKingbus = median(kingbusTimes);
        double ratio = medianMaster / medianKingbus;
        double clientOfMaster = median(clientCpu.get(false));
        double clientOfKingbus = median(clientCpu.get(true));
        String cpu = String.format("CPU per timed download (medians): the client (mariadb-binlog) %.2f s of the"
                + " master's %.2f s (%.0f%%) and %.2f s of Kingbus's %.2f s (%.0f%%); mariadbd %.2f s, the follower"
                + " %.2f s", clientOfMaster, medianMaster, 100 * clientOfMaster / medianMaster, clientOfKingbus,
                medianKingbus, 100 * clientOfKingbus / medianKingbus, median(serverCpu.get(false)),
                median(serverCpu.get(true)));
        log("P2 downloads: " + timings + "; byte-identical: " + identical + "; " + cpu);
        put(new Result("P2 serve one", describeP2(medianKingbus, kingbusTimes), describeP2(medianMaster, masterTimes),
                ratio, ">= 1.2x", ratio >= 1.2 && identical,
                "`mariadb-binlog --read-from-remote-server --raw` of all " + files.size() + " files, from a follower:"
                        + " one download each into " + base + " (the " + files.size() + " files "
                        + (identical ? "byte-identical" : "DIFFER (" + masterDigests + " vs " + kingbusDigests + ")")
                        + "), then " + P2_TIMED_ROUNDS + " each into symlinks to /dev/null, alternating; ratio of the"
                        + " medians; runs " + timings + "; " + cpu));
    }

    private String describeP2(double median, List<Double> times) {
        double best = times.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        return String.format("%.1f MB/s (median of %d: %.2f s; best %.1f MB/s)", binlogBytes / 1e6 / median,
                times.size(), median, binlogBytes / 1e6 / best);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    private void downloadRaw(int port, String user, String password, Path out) {
        List<String> command = new ArrayList<>(List.of("mariadb-binlog", "--no-defaults", "--read-from-remote-server",
                "--raw", "--host=127.0.0.1", "--port=" + port, "--user=" + user, "--password=" + password,
                "--result-file=" + out + "/"));
        command.addAll(files);
        Processes.run(out, command, 1800);
    }

    private static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> digests = new java.util.TreeMap<>();
        try (var paths = Files.list(dir)) {
            for (Path file : paths.toList()) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (var in = Files.newInputStream(file)) {
                    byte[] buffer = new byte[1 << 20];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        sha.update(buffer, 0, n);
                    }
                }
                digests.put(file.getFileName().toString(),
                        Files.size(file) + ":" + java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 12));
            }
        }
        return digests;
    }

    // ---------------------------------------------------------------- P3

    private record FanOut(double seconds, long bytes, double masterCpu, double nodeCpu, int maxMasterDumps,
            int failed) {}

    private void fanOut() throws Exception {
        long masterPid = BenchEnv.pid(master);
        FanOut onMaster = fanOut(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, masterPid, -1);
        // readers that stopped at their byte limit leave dump threads on the master until it notices
        waitFor("the master's dump threads of the first phase to end", Duration.ofSeconds(30),
                () -> masterDumpConnections() <= 1);
        long nodePid = BenchEnv.pid(follower);
        Path jfr = startJfr(nodePid, "p3-follower");
        Map<String, BenchEnv.ThreadCpu> threads0 = BenchEnv.threadCpu(nodePid);
        FanOut onKingbus = fanOut(follower.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD,
                masterPid, nodePid);
        log("P3 serving node threads, " + BenchEnv.topThreads(threads0, BenchEnv.threadCpu(nodePid), 8));
        stopJfr(nodePid, jfr);
        double masterMbps = onMaster.bytes() / 1e6 / onMaster.seconds();
        double kingbusMbps = onKingbus.bytes() / 1e6 / onKingbus.seconds();
        double ratio = kingbusMbps / masterMbps;
        boolean oneConnection = onKingbus.maxMasterDumps() == 1;
        put(new Result("P3 fan-out", String.format("%.1f MB/s aggregate (%d readers, %.0f MB in %.1f s; node CPU %.1f s;"
                + " master CPU %.2f s, dump connections on the master: %d)", kingbusMbps, settings.readers(),
                onKingbus.bytes() / 1e6, onKingbus.seconds(), onKingbus.nodeCpu(), onKingbus.masterCpu(),
                onKingbus.maxMasterDumps()), String.format("%.1f MB/s aggregate (%.0f MB in %.1f s; master CPU %.1f s;"
                + " dump connections: %d)", masterMbps, onMaster.bytes() / 1e6, onMaster.seconds(),
                onMaster.masterCpu(), onMaster.maxMasterDumps()), ratio, ">= 2x; master sees 1 connection",
                ratio >= 2 && oneConnection && onKingbus.failed() == 0 && onMaster.failed() == 0,
                settings.readers() + " concurrent dump sessions (real protocol, non-blocking, as mariadb-binlog) of "
                        + settings.readerMb() + " MB each, started at the first position of the completed files in turn,"
                        + " from one follower; failed readers: " + onKingbus.failed() + " vs " + onMaster.failed()));
    }

    private FanOut fanOut(int port, String user, String password, long masterPid, long nodePid) throws Exception {
        List<String> startFiles = files.size() > 1 ? files.subList(0, files.size() - 1) : files;
        long limit = (long) settings.readerMb() << 20;
        ExecutorService pool = Executors.newFixedThreadPool(settings.readers());
        List<DumpReader> readers = new ArrayList<>();
        AtomicInteger maxDumps = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        CompletableFuture<Void> watch = CompletableFuture.runAsync(() -> {
            while (running.get()) {
                maxDumps.accumulateAndGet(masterDumpConnections(), Math::max);
                sleep(250);
            }
        });
        double masterCpu0 = BenchEnv.cpuSeconds(masterPid);
        double nodeCpu0 = nodePid > 0 ? BenchEnv.cpuSeconds(nodePid) : 0;
        long t0 = System.nanoTime();
        try {
            List<CompletableFuture<Long>> done = new ArrayList<>();
            for (int i = 0; i < settings.readers(); i++) {
                String file = startFiles.get(i % startFiles.size());
                DumpReader reader = DumpReader.start(port, user, password, 0, file, 4, null,
                        DumpReader.NON_BLOCK | DumpReader.SEND_ANNOTATE, false);
                readers.add(reader);
                done.add(CompletableFuture.supplyAsync(() -> reader.readUntil(limit), pool));
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            running.set(false);
            watch.get(10, TimeUnit.SECONDS);
            long bytes = readers.stream().mapToLong(DumpReader::bytes).sum();
            int failed = (int) readers.stream().filter(r -> r.error() != null).count();
            readers.stream().filter(r -> r.error() != null).limit(3).forEach(r -> log("reader failed: " + r.error()));
            FanOut result = new FanOut(seconds, bytes, BenchEnv.cpuSeconds(masterPid) - masterCpu0,
                    nodePid > 0 ? BenchEnv.cpuSeconds(nodePid) - nodeCpu0 : 0, maxDumps.get(), failed);
            log(String.format("P3 %s: %s (%.1f MB/s)", nodePid > 0 ? "Kingbus" : "master", result,
                    bytes / 1e6 / seconds));
            return result;
        } finally {
            running.set(false);
            readers.forEach(DumpReader::close);
            pool.shutdownNow();
        }
    }

    private int masterDumpConnections() {
        try {
            return Integer.parseInt(master.queryString("SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                    + " WHERE COMMAND LIKE 'Binlog Dump%'"));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- P6

    private void memory() throws Exception {
        KingbusProcess node = leader;
        long pid = BenchEnv.pid(node);
        double heapIdle = BenchEnv.heapAfterFullGcMb(pid);
        double rssIdle = BenchEnv.rssMb(pid);
        String lastFile = files.get(files.size() - 1);
        List<DumpReader> readers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(settings.p6Readers());
        try {
            for (int i = 0; i < settings.p6Readers(); i++) {
                DumpReader reader = DumpReader.start(node.mysqlPort(), KingbusProcess.REPLICA_USER,
                        KingbusProcess.REPLICA_PASSWORD, 2000 + i, lastFile, 4, null, DumpReader.SEND_ANNOTATE, false);
                readers.add(reader);
                pool.submit(() -> reader.readUntil(Long.MAX_VALUE));
            }
            String end = node.binlogEnd();
            waitFor(settings.p6Readers() + " readers at " + end, Duration.ofMinutes(10),
                    () -> readers.stream().allMatch(r -> r.position().equals(end) || failed(r)));
            // and live: 20 more transactions of about 1 MB each while they are connected
            try (Connection c = master.connect(); Statement s = c.createStatement()) {
                s.execute("USE bulk");
                for (int batch = 0; batch < 20; batch++) {
                    s.execute("INSERT INTO t SELECT " + (10_000_000L + batch * 1000L)
                            + " + seq, REPEAT('x', 1000) FROM seq_1_to_1000");
                }
            }
            String masterEnd = settledMasterEnd();
            waitFor("every reader has the live writes (" + masterEnd + ")", Duration.ofMinutes(5),
                    () -> readers.stream().allMatch(r -> r.position().equals(masterEnd) || failed(r)),
                    () -> "; the node is at " + endOrEmpty(node) + ", the readers at " + readers.stream()
                            .map(DumpReader::position).collect(Collectors.groupingBy(p -> p, Collectors.counting())));
            long connected = readers.stream().filter(r -> !r.ended()).count();
            double rssPeak = BenchEnv.rssMb(pid);
            double heap = BenchEnv.heapAfterFullGcMb(pid);
            double rss = BenchEnv.rssMb(pid);
            String metric = metric(node, "kingbus_replicas_connected");
            long storedMb = master.binlogBytes() >> 20;
            put(new Result("P6 memory", String.format("heap after full GC %.0f MB with %d replicas connected (%.0f MB"
                    + " without them); RSS %.0f MB (%.0f MB without)", heap, connected, heapIdle, rss, rssIdle),
                    "-", Double.NaN, "heap < 512 MB", heap < 512 && connected == settings.p6Readers(),
                    String.format("SCALED: %d MB stored (target scale 10 GB: BENCH_MB=10240); %d blocking dump sessions"
                            + " (real protocol, registered as replicas) on the leader, -Xmx%s, each streamed the newest"
                            + " file and 20 live 1 MB transactions, then jcmd GC.run + GC.heap_info;"
                            + " kingbus_replicas_connected=%s", storedMb, settings.p6Readers(), settings.heap(),
                            metric)));
        } finally {
            readers.forEach(DumpReader::close);
            pool.shutdownNow();
        }
    }

    private boolean failed(DumpReader reader) {
        if (reader.error() != null) {
            throw new IllegalStateException("a reader failed: " + reader.error());
        }
        return false;
    }

    /** A metric's value for the report, or "?" when the node does not give it. */
    private static String metric(KingbusProcess node, String name) {
        try {
            return String.valueOf(node.metric(name));
        } catch (RuntimeException | AssertionError e) {
            return "?";
        }
    }

    // ---------------------------------------------------------------- P4

    private void latency() throws Exception {
        master.execute("CREATE DATABASE sbtest",
                "CREATE TABLE sbtest.probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB");
        Sysbench.prepare(master);
        String masterEnd = settledMasterEnd();
        waitFor("every node holds the sysbench tables", Duration.ofMinutes(5),
                () -> nodes.stream().allMatch(n -> masterEnd.equals(endOrEmpty(n))));
        String state = master.gtidBinlogPos();
        DumpReader direct = DumpReader.start(master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, 3001, "", 4,
                state, DumpReader.SEND_ANNOTATE, true);
        DumpReader viaLeader = DumpReader.start(leader.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, 3002, "", 4, state, DumpReader.SEND_ANNOTATE, true);
        DumpReader viaFollower = DumpReader.start(follower.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, 3003, "", 4, state, DumpReader.SEND_ANNOTATE, true);
        List<DumpReader> readers = List.of(direct, viaLeader, viaFollower);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        readers.forEach(r -> pool.submit(() -> r.readUntil(Long.MAX_VALUE)));
        Map<Long, Long> commits = new HashMap<>();
        long runStart = System.nanoTime();
        String sysbenchOutput;
        long leaderPid = BenchEnv.pid(leader);
        Path jfr = startJfr(leaderPid, "p4-leader");
        try {
            List<String> run = Sysbench.run(master, P4_THREADS, settings.p4Rate(), settings.p4Seconds());
            runStart = System.nanoTime();
            CompletableFuture<String> load = CompletableFuture.supplyAsync(
                    () -> Processes.run(null, run, settings.p4Seconds() + 120));
            // the probe: one autocommit insert every 20 ms; its GTID and the moment the commit returned
            long until = System.nanoTime() + settings.p4Seconds() * 1_000_000_000L;
            try (Connection c = master.connect(); Statement s = c.createStatement()) {
                while (System.nanoTime() < until) {
                    s.executeUpdate("INSERT INTO sbtest.probe (v) VALUES (1)");
                    long committed = System.nanoTime();
                    try (ResultSet gtid = s.executeQuery("SELECT @@last_gtid")) {
                        gtid.next();
                        String[] parts = gtid.getString(1).split("-");
                        commits.put(Long.parseLong(parts[2]), committed);
                    }
                    sleep(20);
                }
            }
            sysbenchOutput = load.get(settings.p4Seconds() + 180, TimeUnit.SECONDS);
            String end = settledMasterEnd();
            waitFor("every reader has everything", Duration.ofMinutes(2),
                    () -> readers.stream().allMatch(r -> r.position().equals(end)));
        } finally {
            readers.forEach(DumpReader::close);
            pool.shutdownNow();
        }
        stopJfr(leaderPid, jfr);
        // The first seconds of the load are reported apart: the run's p99 is its slowest 1%, and the
        // start of the load alone (connections, the first transactions through every path) filled it.
        long steadyFrom = runStart + P4_WARMUP_SECONDS * 1_000_000_000L;
        Map<Long, Long> steadyCommits = new HashMap<>(commits);
        steadyCommits.values().removeIf(committed -> committed < steadyFrom);
        Map<Long, Long> steadyDirect = new HashMap<>(direct.gtidArrivals());
        steadyDirect.values().removeIf(arrived -> arrived < steadyFrom);
        String tps = Sysbench.transactionsLine(sysbenchOutput);
        P4Figures steady = p4Figures(steadyCommits, steadyDirect, viaLeader, viaFollower);
        P4Figures whole = p4Figures(commits, direct.gtidArrivals(), viaLeader, viaFollower);
        String text = String.format("after the first %d s of the load: %s. Whole run, first seconds included: %s",
                P4_WARMUP_SECONDS, steady.text(), whole.text());
        log("P4 " + text + "; sysbench " + tps);
        put(new Result("P4 latency", text, "the same reader connected to the master", Double.NaN,
                "added p99 < 5 ms", Math.max(steady.addedP99Leader(), steady.addedP99Follower()) < 5,
                "sysbench oltp_write_only --rate=" + settings.p4Rate() + " --threads=" + P4_THREADS + " for "
                        + settings.p4Seconds() + " s (" + tps + ") plus a probe insert every 20 ms; readers are"
                        + " blocking GTID-mode dump sessions (real protocol) timing each GTID event's arrival; the"
                        + " target is checked on the figures after the first " + P4_WARMUP_SECONDS + " s"));
    }

    /** sysbench's client threads in P4. */
    private static final int P4_THREADS = 4;

    /** Seconds at the start of P4's load whose transactions are reported apart from the steady state. */
    static final int P4_WARMUP_SECONDS = 5;

    /** P4's percentiles over one set of transactions, and the sentence that reports them. */
    private record P4Figures(double addedP99Leader, double addedP99Follower, String text) {}

    private static P4Figures p4Figures(Map<Long, Long> commits, Map<Long, Long> directArrivals, DumpReader viaLeader,
            DumpReader viaFollower) {
        List<Double> probeDirect = latencies(commits, directArrivals);
        List<Double> probeLeader = latencies(commits, viaLeader.gtidArrivals());
        List<Double> probeFollower = latencies(commits, viaFollower.gtidArrivals());
        List<Double> addedLeader = added(directArrivals, viaLeader.gtidArrivals());
        List<Double> addedFollower = added(directArrivals, viaFollower.gtidArrivals());
        double addedP99Leader = pct(probeLeader, 99) - pct(probeDirect, 99);
        double addedP99Follower = pct(probeFollower, 99) - pct(probeDirect, 99);
        String text = String.format("commit->received, %d probe transactions: direct p50 %.2f / p99 %.2f ms; via"
                + " leader p50 %.2f / p99 %.2f ms; via follower p50 %.2f / p99 %.2f ms. Added p99: leader %.2f ms,"
                + " follower %.2f ms. Per transaction (%d GTIDs, arrival at Kingbus minus arrival at the direct"
                + " reader): leader p50 %.2f / p99 %.2f ms, follower p50 %.2f / p99 %.2f ms",
                probeDirect.size(), pct(probeDirect, 50), pct(probeDirect, 99), pct(probeLeader, 50),
                pct(probeLeader, 99), pct(probeFollower, 50), pct(probeFollower, 99), addedP99Leader,
                addedP99Follower, addedLeader.size(), pct(addedLeader, 50), pct(addedLeader, 99),
                pct(addedFollower, 50), pct(addedFollower, 99));
        return new P4Figures(addedP99Leader, addedP99Follower, text);
    }

    private static List<Double> latencies(Map<Long, Long> commits, Map<Long, Long> arrivals) {
        List<Double> result = new ArrayList<>();
        commits.forEach((seq, committed) -> {
            Long arrived = arrivals.get(seq);
            if (arrived != null) {
                result.add((arrived - committed) / 1e6);
            }
        });
        return result;
    }

    private static List<Double> added(Map<Long, Long> direct, Map<Long, Long> via) {
        List<Double> result = new ArrayList<>();
        direct.forEach((seq, arrived) -> {
            Long later = via.get(seq);
            if (later != null) {
                result.add((later - arrived) / 1e6);
            }
        });
        return result;
    }

    static double pct(List<Double> values, double percentile) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    // ---------------------------------------------------------------- JFR

    private Path startJfr(long pid, String name) {
        if (!settings.jfr()) {
            return null;
        }
        try {
            Path dir = Files.createDirectories(Path.of("target", "bench-jfr").toAbsolutePath());
            Path file = dir.resolve(name + ".jfr");
            BenchEnv.jcmd(pid, "JFR.start", "name=bench", "settings=profile", "filename=" + file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void stopJfr(long pid, Path file) {
        if (file != null) {
            BenchEnv.jcmd(pid, "JFR.stop", "name=bench", "filename=" + file);
            log("JFR recording: " + file);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The master's SHOW MASTER STATUS once it has stopped moving. When a commit rotates the binlog, MariaDB
     * writes the new file's BINLOG_CHECKPOINT_EVENT a moment later (once the old file's transactions are
     * committed in InnoDB), so an end read right after the commit can be short of that event for good.
     */
    private String settledMasterEnd() throws Exception {
        String last = master.binlogEnd();
        for (int i = 0; i < 50; i++) {
            sleep(200);
            String now = master.binlogEnd();
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        throw new IllegalStateException("the master's binlog end did not settle in 10 s: " + last);
    }

    private static String endOrEmpty(KingbusProcess node) {
        try {
            return node.binlogEnd();
        } catch (SQLException e) {
            return "";
        }
    }


    interface Check {
        boolean done() throws Exception;
    }

    /** Polls every 50 ms; exceptions from the check other than SQLException (node not up) fail at once. */
    private static void waitFor(String what, Duration timeout, Check check) throws Exception {
        waitFor(what, timeout, check, () -> "");
    }

    /** As above; on timeout the message ends with {@code state}, which says where things stand. */
    private static void waitFor(String what, Duration timeout, Check check, Supplier<String> state)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (check.done()) {
                    return;
                }
            } catch (SQLException e) {
                // a node not answering yet: try again
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting until " + what + " "
                        + state.get());
            }
            sleep(50);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void put(Result result) {
        results.put(result.id(), result);
        String ratio = Double.isNaN(result.ratio()) ? "-" : String.format("%.2fx", result.ratio());
        log(String.format("RESULT %s: ratio %s (target %s) %s | Kingbus %s | baseline %s | %s", result.id(), ratio,
                result.target(), result.met() ? "MET" : "NOT MET", result.kingbus(), result.baseline(), result.note()));
        if (settings.report() != null) {
            appendRow(settings.report(), String.format("| %s | %s | `%s` | %s | %s | **%s** (target %s: %s) | %s | %s |",
                    LocalDate.now(), result.id(), settings.command(), result.kingbus(), result.baseline(), ratio,
                    result.target(), result.met() ? "met" : "NOT met", result.note(), environment));
        }
    }

    private static synchronized void appendRow(Path report, String row) {
        try {
            String text = Files.readString(report);
            if (!text.contains(MARKER)) {
                throw new IllegalStateException(report + " has no " + MARKER);
            }
            Files.writeString(report, text.replace(MARKER, row.replace("\n", " ") + "\n" + MARKER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void log(String line) {
        System.out.println("[bench " + java.time.LocalTime.now().format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss"))
                + "] " + line);
        System.out.flush();
    }

    @Override
    public void close() {
        if (nodes != null && results.isEmpty()) {
            KingbusProcess.printDiagnostics(nodes);
        }
        cleanup.close();
    }

    /** For a test that fails: every node's notable log lines. */
    void diagnostics() {
        if (nodes != null) {
            KingbusProcess.printDiagnostics(nodes);
        }
    }
}
