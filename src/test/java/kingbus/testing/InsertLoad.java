package kingbus.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;

/**
 * A write load on a master: single-row inserts with ids 1, 2, 3... into {@code table (id BIGINT PRIMARY KEY,
 * payload ...)}, each its own transaction, on one connection, until {@link #stop}. A transaction lost or applied
 * twice on the way shows in a replica's row count against {@link #written}.
 *
 * <p>Runs on a thread of its own; its methods may be called from any thread.
 */
public final class InsertLoad implements AutoCloseable {

    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final AtomicLong written = new AtomicLong();
    private final CompletableFuture<Void> load;

    private InsertLoad(MariaDb master, String table, String payload, long pauseMillis) {
        this.load = CompletableFuture.runAsync(() -> insert(master, table, payload, pauseMillis));
    }

    /**
     * Starts inserting {@code payload} into {@code table} as fast as the master commits, or with
     * {@code pauseMillis} between inserts when it is positive.
     */
    public static InsertLoad start(MariaDb master, String table, String payload, long pauseMillis) {
        return new InsertLoad(master, table, payload, pauseMillis);
    }

    /** Rows committed so far. */
    public long written() {
        return written.get();
    }

    /** Waits until {@code rows} more than now are committed. */
    public void awaitMore(long rows, Duration timeout) {
        long target = written.get() + rows;
        Awaitility.await(rows + " more rows written").atMost(timeout).until(() -> written.get() >= target);
    }

    /** Stops after the insert in progress and returns how many rows were committed; fails if the load failed. */
    public long stop() throws Exception {
        writing.set(false);
        load.get(60, TimeUnit.SECONDS);
        return written.get();
    }

    private void insert(MariaDb master, String table, String payload, long pauseMillis) {
        try (Connection c = master.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?)")) {
            while (writing.get()) {
                long id = written.get() + 1;
                insert.setLong(1, id);
                insert.setString(2, payload.isEmpty() ? "row-" + id : payload);
                insert.executeUpdate();
                written.set(id);
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis); // a steady load, not a flood
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        writing.set(false);
    }
}
