package kingbus.syncer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.raft.MasterChoice;

/**
 * Checks a master before the operators make it the cluster's (the admin API, {@code CHANGE MASTER TO}): that it
 * answers with the syncer's account and TLS, writes a binary log, and holds every transaction Kingbus holds (in each
 * domain a sequence number at least the one held: what the syncer's GTID request needs). The syncer checks the same
 * again when it connects; this only turns a mistake into an answer instead of a syncer that retries in the log.
 *
 * <p>Stateless and thread-safe.
 */
public final class MasterProbe {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(10);

    private MasterProbe() {}

    /**
     * Why the syncer could not pull from {@code master}, or empty when it can.
     *
     * @param settings the syncer's account and TLS (its host and port are not used)
     * @param held the GTID position the cluster holds; empty: any master with a binary log will do
     */
    public static Optional<String> problemWith(MasterChoice master, BinlogSyncer.Settings settings, GtidList held) {
        try (Connection connection = BinlogSyncer.connectJdbc(settings, master, CONNECT_TIMEOUT, QUERY_TIMEOUT);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT @@log_bin, @@gtid_binlog_pos")) {
            row.next();
            if (!row.getBoolean(1)) {
                return Optional.of(master + " writes no binary log (log_bin is OFF)");
            }
            String theirs = row.getString(2) == null ? "" : row.getString(2);
            List<String> missing = missing(held, GtidList.parse(theirs));
            if (!missing.isEmpty()) {
                return Optional.of(master + " lacks transactions the cluster holds: it has @@gtid_binlog_pos '"
                        + theirs + "', the cluster " + String.join(", ", missing)
                        + " (a replica promoted in the old master's place holds them all)");
            }
            return Optional.empty();
        } catch (SQLException e) {
            if (e.getErrorCode() == 1045) {
                return Optional.of(master + " refused Kingbus's credentials (user '" + settings.user() + "', the"
                        + " setting kingbus.master.user): " + e.getMessage());
            }
            return Optional.of(master + " cannot be queried: " + e.getMessage());
        }
    }

    /** The newest GTID held in each domain where {@code theirs} is behind it, as text. */
    static List<String> missing(GtidList held, GtidList theirs) {
        List<String> missing = new ArrayList<>();
        for (MariadbGtid gtid : held.perDomain().gtids()) {
            Optional<MariadbGtid> their = theirs.lastInDomain(gtid.domainId());
            if (their.isEmpty() || Long.compareUnsigned(their.get().sequence(), gtid.sequence()) < 0) {
                missing.add(gtid.toString());
            }
        }
        return missing;
    }
}
