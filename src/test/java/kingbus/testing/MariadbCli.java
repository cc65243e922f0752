package kingbus.testing;

import java.util.List;

/** The real {@code mariadb} command-line client, for asserting what an operator sees. Stateless. */
public final class MariadbCli {

    private MariadbCli() {}

    /** Runs {@code sql} in batch mode (tab-separated, a header line), continuing after errors; returns what it printed. */
    public static Processes.Outcome run(int port, String user, String password, String sql) {
        return Processes.runToEnd(null, List.of("mariadb", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1",
                "--port=" + port, "--user=" + user, "--password=" + password, "--batch", "--force", "-e", sql), 60);
    }
}
