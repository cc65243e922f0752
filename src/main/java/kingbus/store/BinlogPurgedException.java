package kingbus.store;

/** A reader reached a binlog file that was purged while it read; the server ends the dump with 1236. */
public class BinlogPurgedException extends BinlogUnavailableException {

    public BinlogPurgedException(String message) {
        super(message);
    }
}
