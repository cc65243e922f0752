package kingbus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Keeps track of every process a test starts and ends them all: by PID with SIGTERM then SIGKILL,
 * and from a JVM shutdown hook as a last resort, so no test leaves a process behind.
 */
public final class Processes {

    private static final Set<ProcessHandle> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        })));
    }

    private Processes() {}

    public static void track(ProcessHandle process) {
        RUNNING.add(process);
    }

    /** SIGTERM, wait up to {@code graceSeconds}, then SIGKILL; waits for the end. */
    public static void stop(ProcessHandle process, int graceSeconds) {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.onExit().get(graceSeconds, TimeUnit.SECONDS);
            } catch (Exception e) {
                kill(process);
            }
        }
        RUNNING.remove(process);
    }

    /** SIGKILL (kill -9) and wait for the end. */
    public static void kill(ProcessHandle process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Process " + process.pid() + " did not die", e);
        }
        RUNNING.remove(process);
    }

    /** How a command ended: its exit code and its output (stdout and stderr together). */
    public record Outcome(int exitCode, String output) {}

    /** Runs a command to its end and returns its output; fails with the output if it exits non-zero. */
    public static String run(Path dir, List<String> command, int timeoutSeconds) {
        Outcome outcome = runToEnd(dir, command, timeoutSeconds);
        if (outcome.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + (outcome.exitCode() == Integer.MIN_VALUE
                    ? " timed out" : " exited " + outcome.exitCode()) + ":\n" + outcome.output());
        }
        return outcome.output();
    }

    /** Runs a command to its end; a timeout kills it and reports exit code {@link Integer#MIN_VALUE}. */
    public static Outcome runToEnd(Path dir, List<String> command, int timeoutSeconds) {
        try {
            Path log = Files.createTempFile("kingbus-cmd", ".log");
            Process process = new ProcessBuilder(command).directory(dir == null ? null : dir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            track(process.toHandle());
            boolean done = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                kill(process.toHandle());
            }
            RUNNING.remove(process.toHandle());
            String output = Files.readString(log);
            Files.deleteIfExists(log);
            return new Outcome(done ? process.exitValue() : Integer.MIN_VALUE, output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the directory tree {@code from} to {@code to} (created), file by file. */
    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    /** The last {@code lines} lines of a log file, for failure messages. */
    public static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file + ")";
            }
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
