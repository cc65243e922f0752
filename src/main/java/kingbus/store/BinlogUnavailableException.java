package kingbus.store;

/**
 * The binlog a reader asked for is not held: unknown file, not an event boundary, purged, or the
 * store is closed. The message names what was asked for; the server turns it into error 1236.
 */
public class BinlogUnavailableException extends RuntimeException {

    public BinlogUnavailableException(String message) {
        super(message);
    }
}
