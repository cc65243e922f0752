package kingbus.store;

/**
 * What is on disk cannot be what the store wrote: a record is missing or unreadable. The message
 * names the record; a node that meets this refuses to serve rather than send bad bytes.
 */
public class StoreCorruptException extends RuntimeException {

    public StoreCorruptException(String message) {
        super(message);
    }

    public StoreCorruptException(String message, Throwable cause) {
        super(message, cause);
    }
}
