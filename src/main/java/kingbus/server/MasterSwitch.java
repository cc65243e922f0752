package kingbus.server;

/**
 * Repoints the cluster at another master, for {@code CHANGE MASTER TO MASTER_HOST=..., MASTER_PORT=...} on an admin
 * connection. Implemented by the application (through Raft, for every node); called on the session's thread and may
 * block until the choice is committed. Implementations are thread-safe.
 */
@FunctionalInterface
public interface MasterSwitch {

    /**
     * Makes {@code host:port} the master of the whole cluster.
     *
     * @throws IllegalArgumentException when it is not a host and port
     * @throws IllegalStateException when the choice cannot be committed now (no Raft leader, a timeout)
     */
    void switchTo(String host, int port);
}
