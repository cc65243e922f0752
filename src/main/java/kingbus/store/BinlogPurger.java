package kingbus.store;

/**
 * Purges binlog files on every node of the cluster (implemented over Raft, so all agree on the
 * first file kept). Thread-safe.
 */
public interface BinlogPurger {

    /**
     * Plans the purge against the files held and every replica connected anywhere in the cluster,
     * commits it, and returns the plan once it is applied here.
     *
     * @throws IllegalArgumentException when the request names a file that is not held (MariaDB's
     *     {@code ER_UNKNOWN_TARGET_BINLOG})
     * @throws IllegalStateException when the purge could not be committed (no leader, timeout)
     */
    PurgePlan purge(PurgeRequest request);
}
