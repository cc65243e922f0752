package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kingbus.testing.KingbusProcess;
import kingbus.testing.Ports;
import kingbus.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/cluster.sh} starts a node as one JVM with the options in {@code bin/kingbus.jvm-options}, checked on the
 * running JVM with {@code jcmd VM.flags}. One JVM matters: with a Liberty {@code jvm.options} file in the server
 * directory the runnable jar starts the server in a second JVM through Liberty's shell script, so settings given as
 * environment variables with dots in their names are lost and {@code cluster.sh kill} (kill -9 of the pid it
 * recorded) leaves the server running. Its {@code master} and {@code repoint} commands go through the admin API with
 * the admin credentials.
 */
class ClusterScriptIT {

    @Test
    void aNodeStartedByClusterShIsOneJvmWithTheShippedOptions() throws Exception {
        List<String> shipped = KingbusProcess.shippedJvmOptions().stream().filter(o -> o.startsWith("-XX:")).toList();
        assertThat(shipped).as("the -XX options in bin/kingbus.jvm-options").isNotEmpty();
        Path root = Files.createTempDirectory("kingbus-cluster-script-");
        Map<String, String> env = Map.of("KINGBUS_CLUSTER_DIR", root.toString(),
                "KINGBUS_MYSQL_BASE", String.valueOf(Ports.free() - 1),
                "KINGBUS_HTTP_BASE", String.valueOf(Ports.free() - 1),
                "KINGBUS_RAFT_BASE", String.valueOf(Ports.free() - 1),
                "KINGBUS_REPLICA_PASSWORD", KingbusProcess.REPLICA_PASSWORD,
                "KINGBUS_ADMIN_PASSWORD", "cluster-sh-admin");
        ProcessHandle node = null;
        try {
            assertThat(clusterSh(env, "start", "1").exitCode()).as("cluster.sh start 1").isZero();
            node = ProcessHandle.of(Long.parseLong(Files.readString(root.resolve("n1").resolve("pid")).strip()))
                    .orElseThrow();
            Processes.track(node);
            String flags = Processes.run(null, List.of(
                    Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(node.pid()), "VM.flags"), 60);
            assertThat(flags).as("the node JVM's flags").contains(shipped);
            assertThat(node.descendants().filter(p -> p.info().command().orElse("").endsWith("java")).toList())
                    .as("JVMs started by the node's JVM").isEmpty();
            repointsThroughTheAdminApi(env);
            assertThat(clusterSh(env, "stop").exitCode()).as("cluster.sh stop").isZero();
            assertThat(node.isAlive()).as("the node after cluster.sh stop").isFalse();
        } finally {
            if (node != null) {
                Processes.stop(node, 30);
            }
            Processes.deleteTree(root);
        }
    }

    /**
     * {@code master}, {@code repoint HOST PORT [--force]} and {@code repoint --clear} on a node started without a
     * master: a port where nothing listens is refused unless forced.
     */
    private static void repointsThroughTheAdminApi(Map<String, String> env) throws Exception {
        Processes.Outcome none = clusterSh(env, "master");
        assertThat(none.exitCode()).as(none.output()).isZero();
        assertThat(none.output()).contains("\"source\":\"none\"").contains("HTTP 200 from n1");
        int port = Ports.free();
        Processes.Outcome checked = clusterSh(env, "repoint", "127.0.0.1", String.valueOf(port));
        assertThat(checked.exitCode()).as("nothing listens there: " + checked.output()).isNotZero();
        assertThat(checked.output()).contains("HTTP 409").contains("cannot be queried");
        Processes.Outcome chosen = clusterSh(env, "repoint", "127.0.0.1", String.valueOf(port), "--force");
        assertThat(chosen.exitCode()).as(chosen.output()).isZero();
        assertThat(chosen.output()).contains("\"source\":\"api\"").contains("\"port\":" + port);
        Processes.Outcome refused = clusterSh(env, "repoint", "127.0.0.1", "70000");
        assertThat(refused.exitCode()).as("a bad port fails the command: " + refused.output()).isNotZero();
        assertThat(refused.output()).contains("HTTP 400");
        assertThat(clusterSh(env, "master").output()).contains("\"port\":" + port);
        Processes.Outcome wrongPassword = clusterSh(Map.of("KINGBUS_CLUSTER_DIR", env.get("KINGBUS_CLUSTER_DIR"),
                "KINGBUS_HTTP_BASE", env.get("KINGBUS_HTTP_BASE"), "KINGBUS_ADMIN_PASSWORD", "not-it"), "master");
        assertThat(wrongPassword.exitCode()).isNotZero();
        assertThat(wrongPassword.output()).contains("HTTP 401").doesNotContain("not-it");
        Processes.Outcome cleared = clusterSh(env, "repoint", "--clear");
        assertThat(cleared.exitCode()).as(cleared.output()).isZero();
        assertThat(cleared.output()).contains("\"source\":\"none\"");
    }

    private static Processes.Outcome clusterSh(Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("bash", "bin/cluster.sh"));
        command.addAll(List.of(args));
        Path output = Files.createTempFile("kingbus-cluster-sh", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("bin/cluster.sh " + String.join(" ", args) + " did not end in 180 s");
            }
            return new Processes.Outcome(process.exitValue(), Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
