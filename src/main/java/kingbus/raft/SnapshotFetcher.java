package kingbus.raft;

/**
 * Brings this node's store up to a Raft snapshot it received, by streaming the binlog files it
 * lacks from the member that wrote the snapshot (over that member's MySQL port, as a replica
 * would), never by loading them whole in memory. Implemented by the application, which knows the
 * credentials and threads. Called on RAFT's thread; blocks until done or failed.
 */
@FunctionalInterface
public interface SnapshotFetcher {

    /**
     * What a snapshot says the store holds.
     *
     * @param firstFile the first file kept (files before it are purged)
     * @param lastFile the newest file
     * @param endPosition where {@code lastFile} ends
     * @param source {@code host:port} of the writer's MySQL listener, or empty when unknown
     */
    record Target(String firstFile, String lastFile, long endPosition, String source) {}

    /**
     * Fetches until the local store holds {@code target.lastFile()} up to {@code target.endPosition()}.
     *
     * @throws Exception when that cannot be done now (the leader sends the snapshot again later)
     */
    void fetch(Target target) throws Exception;
}
