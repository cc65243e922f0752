package kingbus.syncer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;
import kingbus.protocol.binlog.EventGroups;

/**
 * Groups the master's events into the units Kingbus commits: a whole transaction (GTID event up to
 * and including its XID, COMMIT/ROLLBACK/XA query, MySQL's TRANSACTION_PAYLOAD, or for a standalone group the
 * one statement; MariaDB's and MySQL's, see {@link EventGroups}), or
 * one event that belongs to no transaction (FORMAT_DESCRIPTION, GTID_LIST, BINLOG_CHECKPOINT,
 * ROTATE, STOP, ...). A unit is only handed on when it is complete; {@link #discardPartial()} drops
 * a half-received transaction after a disconnect.
 *
 * <p>Not thread-safe: one grouper per upstream connection thread.
 */
final class TransactionGrouper {

    /** A complete unit: whole events lying at {@code startPosition} of {@code file}. */
    record Unit(String file, long startPosition, List<byte[]> eventList, int length, int transactions) {

        Unit(String file, long startPosition, byte[] event, int transactions) {
            this(file, startPosition, List.of(event), event.length, transactions);
        }
    }

    private static final Logger LOG = Logger.getLogger(TransactionGrouper.class.getName());

    private final Consumer<Unit> sink;
    /** The open group's events, kept as received: a large transaction is never copied here. */
    private List<byte[]> open;
    private int openLength;
    private String openFile;
    private long openStart;
    private boolean openStandalone;
    /** The open group is MySQL's; {@link #openBegun} once its BEGIN or XA START is in. */
    private boolean openMysql;
    private boolean openBegun;

    TransactionGrouper(Consumer<Unit> sink) {
        this.sink = sink;
    }

    /** Adds one event of {@code file} that starts at {@code position}. */
    void add(String file, long position, byte[] event, boolean hasChecksum) {
                if (open == null) {
            if (EventGroups.startsGroup(event)) {
                open = new ArrayList<>();
                open.add(event);
                openLength = event.length;
                openFile = file;
                openStart = position;
                openMysql = EventGroups.isMysqlGroup(event);
                openStandalone = !openMysql && EventGroups.isStandalone(event);
                openBegun = false;
            } else {
                sink.accept(new Unit(file, position, event, 0));
            }
            return;
        }
        if (EventGroups.startsGroup(event)) {
            // A master never nests groups: the open one ended with an event not recognised as its end.
            LOG.warning("A GTID event at " + file + ":" + position + " began while the group from " + openFile + ":"
                    + openStart + " had not ended; taking that group as whole");
            sink.accept(new Unit(openFile, openStart, open, openLength, 1));
            open = null;
            add(file, position, event, hasChecksum);
            return;
        }
        open.add(event);
        openLength += event.length;
        boolean ends = openMysql ? EventGroups.endsMysqlGroup(event, openBegun, hasChecksum)
                : EventGroups.endsGroup(event, openStandalone, hasChecksum);
        openBegun = openBegun || (openMysql && EventGroups.beginsTransaction(event, hasChecksum));
        if (ends) {
            Unit unit = new Unit(openFile, openStart, open, openLength, 1);
            open = null;
            sink.accept(unit);
        }
    }

    /** True while a transaction has begun but not ended. */
    boolean inTransaction() {
        return open != null;
    }

    /** Drops a transaction that has begun but not ended (after a disconnect). */
    void discardPartial() {
        open = null;
    }
}
