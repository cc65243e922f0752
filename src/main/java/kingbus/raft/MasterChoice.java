package kingbus.raft;

/**
 * A master's address. As the master an operator chose for the whole cluster (admin API, {@code CHANGE MASTER TO}), it
 * is committed as a Raft MASTER entry and wins over {@code kingbus.master.host} and {@code kingbus.master.port} on
 * every node until an operator clears it; only the address travels through Raft, the account stays each node's
 * configuration (no secret in the Raft log). Also the configured master's address, and the one a syncer pulls from.
 * Immutable.
 *
 * @param host the master's host name or address
 * @param port its MySQL port
 */
public record MasterChoice(String host, int port) {

    /** The longest host accepted: a DNS name's limit. */
    public static final int MAX_HOST_LENGTH = 253;

    public MasterChoice {
        if (host == null || host.isBlank() || host.length() > MAX_HOST_LENGTH || !host.strip().equals(host)
                || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@' || c > '~')) {
            throw new IllegalArgumentException("Not a host name or address: '" + host + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("Not a TCP port: " + port);
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
