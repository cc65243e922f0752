package kingbus.testing;

import java.util.ArrayList;
import java.util.List;

/** The real {@code mariadb} command-line client, for asserting what an operator sees. Stateless. */
public final class MariadbCli {

    private MariadbCli() {}

    /**
     * Runs {@code sql} in batch mode (tab-separated, a header line), continuing after errors, with any extra client
     * {@code options} (e.g. {@code --default-auth=client_ed25519}); returns what it printed.
     */
    public static Processes.Outcome run(int port, String user, String password, String sql, String... options) {
        List<String> command = new ArrayList<>(List.of("mariadb", "--no-defaults", "--protocol=TCP",
                "--host=127.0.0.1", "--port=" + port, "--user=" + user, "--password=" + password));
        command.addAll(List.of(options));
        command.addAll(List.of("--batch", "--force", "-e", sql));
        return Processes.runToEnd(null, command, 60);
    }
}
