package kingbus.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the real {@code mariadb-binlog --read-from-remote-server} against a master or a Kingbus node. */
public final class BinlogTool {

    private BinlogTool() {}

    /**
     * Downloads {@code files} with {@code --raw} from the master and from a Kingbus node and
     * asserts that each is the same size and the same bytes; returns the bytes compared.
     */
    public static long assertRawFilesIdentical(MariaDb master, int kingbusPort, List<String> files) {
        return assertRawFilesIdentical(master, "127.0.0.1", kingbusPort, files);
    }

    /**
     * Waits for every node to hold the master's newest file, then asserts that each serves the master's completed
     * files byte for byte. Call after a {@code FLUSH BINARY LOGS} and a write into the new file.
     */
    public static void assertEveryNodeHoldsTheCompletedFiles(MariaDb master, List<KingbusProcess> nodes) {
        List<String> files = master.binaryLogs();
        String newest = files.get(files.size() - 1);
        for (KingbusProcess node : nodes) {
            org.awaitility.Awaitility.await(node.nodeName() + " holding " + newest)
                    .atMost(java.time.Duration.ofSeconds(60)).until(() -> node.binlogEnd().startsWith(newest));
            assertRawFilesIdentical(master, node.host(), node.mysqlPort(), files.subList(0, files.size() - 1));
        }
    }

    /** As {@link #assertRawFilesIdentical(MariaDb, int, List)}, with the Kingbus node on {@code kingbusHost}. */
    public static long assertRawFilesIdentical(MariaDb master, String kingbusHost, int kingbusPort,
            List<String> files) {
        Path fromMaster = downloadRaw("127.0.0.1", master.port(), MariaDb.REPL_USER, MariaDb.REPL_PASSWORD, files);
        try {
            return assertSameFiles(fromMaster, kingbusHost, kingbusPort, files, "");
        } finally {
            Processes.deleteTree(fromMaster);
        }
    }

    /** Downloads {@code files} with {@code --raw} from every node and asserts that each node serves the same bytes. */
    public static void assertEveryNodeServesTheSameFiles(List<KingbusProcess> nodes, List<String> files) {
        KingbusProcess first = nodes.get(0);
        Path expected = downloadRaw(first.host(), first.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, files);
        try {
            for (KingbusProcess node : nodes.subList(1, nodes.size())) {
                assertSameFiles(expected, node.host(), node.mysqlPort(), files, node.nodeName() + "'s ");
            }
        } finally {
            Processes.deleteTree(expected);
        }
    }

    /** Asserts that a Kingbus node serves {@code files} as downloaded into {@code expected}; the bytes compared. */
    private static long assertSameFiles(Path expected, String kingbusHost, int kingbusPort, List<String> files,
            String label) {
        Path fromKingbus = downloadRaw(kingbusHost, kingbusPort, KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, files);
        long bytes = 0;
        try {
            for (String file : files) {
                byte[] wanted = Files.readAllBytes(expected.resolve(file));
                byte[] actual = Files.readAllBytes(fromKingbus.resolve(file));
                assertThat(actual.length).as(label + file + " size").isEqualTo(wanted.length);
                assertThat(actual).as(label + file + " bytes").isEqualTo(wanted);
                bytes += wanted.length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Processes.deleteTree(fromKingbus);
        }
        return bytes;
    }

    /** Downloads {@code files} with {@code --raw} into a new directory and returns it. */
    public static Path downloadRaw(int port, String user, String password, List<String> files) {
        return downloadRaw("127.0.0.1", port, user, password, files);
    }

    /** As {@link #downloadRaw(int, String, String, List)}, from {@code host}. */
    public static Path downloadRaw(String host, int port, String user, String password, List<String> files) {
        try {
            Path out = Files.createTempDirectory("kingbus-raw-");
            List<String> command = new ArrayList<>(List.of("mariadb-binlog", "--no-defaults",
                    "--read-from-remote-server", "--raw", "--host=" + host, "--port=" + port, "--user=" + user,
                    "--password=" + password, "--result-file=" + out + "/"));
            command.addAll(files);
            Processes.run(out, command, 120);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts {@code mariadb-binlog --stop-never} (a blocking dump, as a replica does) from
     * {@code file}, decoding to a file. Stop it with {@link Process#destroy()}; read the output
     * with {@link #output(Path)}.
     */
    public static Process followDecoded(int port, String user, String password, String file, Path output) {
        try {
            Process process = new ProcessBuilder("mariadb-binlog", "--no-defaults", "--read-from-remote-server",
                    "--stop-never", "--stop-never-slave-server-id=" + (1000 + port % 1000), "--host=127.0.0.1",
                    "--port=" + port, "--user=" + user, "--password=" + password, file)
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            Processes.track(process.toHandle());
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String output(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The decoded text of the binlog from {@code file} to the end of the log (non-blocking dump). */
    public static String decode(int port, String user, String password, String file) {
        return Processes.run(null, List.of("mariadb-binlog", "--no-defaults", "--read-from-remote-server",
                "--to-last-log", "--host=127.0.0.1", "--port=" + port, "--user=" + user, "--password=" + password,
                file), 120);
    }
}
