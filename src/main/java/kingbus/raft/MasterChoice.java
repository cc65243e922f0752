package kingbus.raft;

/**
 * The master an operator chose for the whole cluster through the admin API, committed as a Raft MASTER entry: it
 * wins over {@code kingbus.master.host} and {@code kingbus.master.port} on every node until an operator clears
 * it. Only the address travels through Raft; the account stays each node's configuration (no secret in the Raft
 * log). Immutable.
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
