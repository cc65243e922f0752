package kingbus.store;

import java.util.List;
import java.util.Optional;
import kingbus.gtid.GtidList;

/**
 * The read side of the binlog store, as dump sessions and status queries see it: committed data
 * only.
 *
 * <p>Thread-safe: any number of sessions read concurrently while entries are being applied.
 */
public interface BinlogReader {

    /** Committed files, oldest first. Empty before the first event is committed. */
    List<BinlogFile> files();

    /** The committed file of that name, if held. */
    Optional<BinlogFile> file(String name);

    /** The GTID state after the last committed transaction (per domain and server), like {@code @@gtid_binlog_state}. */
    GtidList gtidState();

    /**
     * Opens a cursor at the event that starts at {@code position} in {@code file}.
     *
     * @throws BinlogUnavailableException naming the file or position when the file is not held, or
     *     the position is not the start of a held event (and not the file's end position)
     */
    EventCursor open(String file, long position);

    /**
     * As {@link #open(String, long)}, naming the reader (e.g. a replica's server id and address): while
     * the cursor is open, a purge does not remove the file it is in and names this reader.
     */
    default EventCursor open(String file, long position, String reader) {
        return open(file, position);
    }

    /** A counter that increases with every committed change; pass it to {@link #awaitCommit}. */
    long commitVersion();

    /**
     * Waits until {@link #commitVersion()} is greater than {@code seenVersion} or the timeout
     * passes. Returns true if there is something new.
     */
    boolean awaitCommit(long seenVersion, long timeoutMillis) throws InterruptedException;
}
