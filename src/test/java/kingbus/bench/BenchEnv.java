package kingbus.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;

/** Facts about the machine and the processes of a benchmark run: CPU time, RSS, heap after a full GC. */
final class BenchEnv {

    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux
    /** Indexes in {@link #statFields}: user and system ticks of the process, and of its ended children. */
    private static final int UTIME = 11;
    private static final int STIME = 12;
    private static final int CUTIME = 13;
    private static final int CSTIME = 14;

    private BenchEnv() {}

    /** Cores, JVM, the nodes' JVM options, MariaDB version, the file system under the temp dir, load, the commit. */
    static String describe() {
        String df = Processes.runToEnd(null, List.of("df", "-hT", System.getProperty("java.io.tmpdir")), 10).output();
        String[] dfLines = df.strip().split("\n");
        String[] disk = dfLines[dfLines.length - 1].trim().split("\\s+");
        String mariadb = Processes.runToEnd(null, List.of("mariadbd", "--version"), 10).output().strip();
        Matcher version = Pattern.compile("Ver (\\S+)").matcher(mariadb);
        String commit = Processes.runToEnd(null, List.of("git", "rev-parse", "--short", "HEAD"), 10).output().strip();
        String load = read(Path.of("/proc/loadavg")).map(s -> s.split(" ")[0]).orElse("?");
        List<String> nodeOptions = new java.util.ArrayList<>(KingbusProcess.shippedJvmOptions());
        nodeOptions.addAll(KingbusProcess.extraJvmOptions());
        return String.format("%d cores, Java %s (%s), node JVM options %s, mariadbd %s, %s %s on %s, load %s at start,"
                + " Kingbus %s", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), String.join(" ", nodeOptions),
                version.find() ? version.group(1) : mariadb,
                System.getProperty("java.io.tmpdir"), disk.length > 1 ? disk[1] : "?", disk[0], load, commit);
    }

    /** The mariadbd's PID, from its pid file. */
    static long pid(MariaDb db) {
        return Long.parseLong(read(db.dir().resolve("data").resolve("p.pid"))
                .or(() -> read(db.dir().resolve("p.pid"))).orElseThrow().trim());
    }

    /**
     * The Kingbus node's JVM: the child process of this JVM that runs in the node's directory (the runnable jar) or
     * below it (the installed server runs in its output dir there).
     */
    static long pid(KingbusProcess node) {
        Path dir = node.dir().toAbsolutePath();
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).filter(p -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/cwd")).startsWith(dir)
                        && p.info().command().orElse("").endsWith("java");
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }).findFirst().orElseThrow(() -> new IllegalStateException("no JVM running in " + dir)).pid();
    }

    /** User + system CPU seconds the process has used so far. */
    static double cpuSeconds(long pid) {
        return seconds(statFields(read(Path.of("/proc/" + pid + "/stat")).orElse("")), UTIME, STIME);
    }

    /**
     * User + system CPU seconds of this JVM's child processes that have ended and been waited for (cutime and
     * cstime of /proc/self/stat): taken before and after a command run to its end, the command's own CPU, as long
     * as no other child ends meanwhile (the nodes and mariadbd instances run until the suite's end).
     */
    static double endedChildrenCpuSeconds() {
        return seconds(statFields(read(Path.of("/proc/self/stat")).orElse("")), CUTIME, CSTIME);
    }

    /** The fields of a /proc stat line after the command name (which may hold spaces): state is field 0. */
    private static String[] statFields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** The sum of the given tick fields, in seconds. */
    private static double seconds(String[] fields, int... indexes) {
        long ticks = 0;
        for (int index : indexes) {
            ticks += Long.parseLong(fields[index]);
        }
        return ticks / (double) TICKS_PER_SECOND;
    }

    /** One thread's name (digits folded to '#', so pools add up) and CPU seconds so far, by thread id. */
    record ThreadCpu(String name, double cpu) {}

    /** CPU seconds (user + system) of every thread of the process, by thread id, from /proc. */
    static Map<String, ThreadCpu> threadCpu(long pid) {
        Map<String, ThreadCpu> byTid = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    byTid.put(task.getFileName().toString(),
                            new ThreadCpu(name, seconds(statFields(stat), UTIME, STIME)));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byTid;
    }

    /**
     * The thread names that used the most CPU between two {@link #threadCpu} snapshots, as text (threads
     * that ended in between are missing; Linux cuts names to 15 characters).
     */
    static String topThreads(Map<String, ThreadCpu> before, Map<String, ThreadCpu> after, int count) {
        Map<String, Double> used = new TreeMap<>();
        after.forEach((tid, now) -> {
            ThreadCpu then = before.get(tid);
            used.merge(now.name(), now.cpu() - (then == null ? 0 : then.cpu()), Double::sum);
        });
        double total = used.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder text = new StringBuilder(String.format("%.1f s CPU in threads alive at the end:", total));
        used.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(count)
                .forEach(e -> text.append(String.format(" %s %.1f s;", e.getKey(), e.getValue())));
        return text.toString();
    }

    /** User and system CPU seconds of the process, as text. */
    static String userSystem(long pid) {
        String[] fields = statFields(read(Path.of("/proc/" + pid + "/stat")).orElse(""));
        return String.format("user %.1f s, system %.1f s", seconds(fields, UTIME), seconds(fields, STIME));
    }

    /** Resident set size in MB. */
    static double rssMb(long pid) {
        return read(Path.of("/proc/" + pid + "/status")).flatMap(s -> Arrays.stream(s.split("\n"))
                .filter(l -> l.startsWith("VmRSS:")).findFirst())
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0).orElse(-1.0);
    }

    /** Runs a full GC in the JVM ({@code jcmd GC.run}) and returns the heap then in use, in MB. */
    static double heapAfterFullGcMb(long pid) {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher used = Pattern.compile("used (\\d+)K").matcher(info);
        if (!used.find()) {
            throw new IllegalStateException("cannot read GC.heap_info:\n" + info);
        }
        return Long.parseLong(used.group(1)) / 1024.0;
    }

    static String jcmd(long pid, String... command) {
        List<String> args = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(pid)));
        args.addAll(Arrays.asList(command));
        return Processes.run(null, args, 120);
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.exists(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
