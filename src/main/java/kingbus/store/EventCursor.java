package kingbus.store;

/**
 * Reads committed events in master order, from a start point onwards, crossing into the next
 * file after each one.
 *
 * <p>Not thread-safe: one cursor belongs to one dump session. A cursor never returns an event that
 * is not committed; when it has returned everything committed so far, {@link #next()} returns
 * {@code null} and the caller waits with {@link BinlogReader#awaitCommit(long, long)} before trying
 * again.
 */
public interface EventCursor extends AutoCloseable {

    /**
     * The next committed event, or {@code null} if every committed event has been returned.
     *
     * @throws BinlogUnavailableException if the next event was purged or the store is closed
     */
    StoredEvent next();

    @Override
    void close();
}
