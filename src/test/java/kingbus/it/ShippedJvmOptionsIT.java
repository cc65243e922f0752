package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.Processes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node runs with the JVM options Kingbus ships (src/main/liberty/config/jvm.options) both ways it is launched:
 * the installed server, as {@code mvn liberty:run} runs it, because Liberty reads that file (the test passes none
 * of them itself), and the runnable jar, because its launchers pass them. Checked on the running JVM with
 * {@code jcmd VM.flags}.
 */
class ShippedJvmOptionsIT {

    private final Cleanup cleanup = new Cleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    @Test
    void theInstalledServerAndTheRunnableJarRunWithTheShippedOptions() {
        List<String> shipped = KingbusProcess.shippedJvmOptions().stream().filter(o -> o.startsWith("-XX:")).toList();
        assertThat(shipped).as("the -XX options in jvm.options").isNotEmpty();
        for (boolean installed : List.of(true, false)) {
            KingbusProcess node = cleanup.add(KingbusProcess.create(Map.of())).installedServer(installed);
            node.start();
            String flags = Processes.run(null, List.of(
                    Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(node.pid()), "VM.flags"), 60);
            assertThat(flags).as(installed ? "the installed server's JVM" : "the runnable jar's JVM")
                    .contains(shipped);
            node.close();
        }
    }
}
