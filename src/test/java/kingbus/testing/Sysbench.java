package kingbus.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * sysbench's {@code oltp_write_only} on a master's {@code sbtest} schema, {@value #TABLES} tables of
 * {@value #TABLE_ROWS} rows, as the admin account: the load of P4 ({@code kingbus.bench.Bench}) and of
 * {@code ChaosIT}'s sysbench mode. Each transaction updates a counter column, deletes a row and inserts it
 * again, so a transaction lost or applied twice on the way changes a table's checksum.
 *
 * <p>Stateless; thread-safe.
 */
public final class Sysbench {

    /** The tables sysbench creates and writes. */
    public static final int TABLES = 4;
    /** The rows of each table after {@link #prepare}. */
    public static final int TABLE_ROWS = 10_000;

    private Sysbench() {}

    /** Creates the {@code sbtest} schema if missing, then its tables and rows ({@code sysbench prepare}). */
    public static void prepare(MariaDb master) {
        master.execute("CREATE DATABASE IF NOT EXISTS sbtest");
        Processes.run(null, command(master, List.of("prepare")), 300);
    }

    /**
     * The command line of the load: {@code threads} clients at {@code rate} transactions a second for
     * {@code seconds} ({@code 0}: until the process is stopped), with no interim reports.
     */
    public static List<String> run(MariaDb master, int threads, int rate, int seconds) {
        return command(master, List.of("--threads=" + threads, "--rate=" + rate, "--time=" + seconds,
                "--report-interval=0", "run"));
    }

    /** The line of sysbench's summary that counts the transactions ({@code transactions: N (R per sec.)}). */
    public static String transactionsLine(String output) {
        return output.lines().filter(l -> l.contains("transactions:")).findFirst().orElse("?").trim();
    }

    private static List<String> command(MariaDb master, List<String> tail) {
        List<String> command = new ArrayList<>(List.of("sysbench", "oltp_write_only", "--db-driver=mysql",
                "--mysql-host=127.0.0.1", "--mysql-port=" + master.port(), "--mysql-user=" + MariaDb.ADMIN_USER,
                "--mysql-password=" + MariaDb.ADMIN_PASSWORD, "--mysql-db=sbtest", "--tables=" + TABLES,
                "--table-size=" + TABLE_ROWS));
        command.addAll(tail);
        return command;
    }
}
