package kingbus.store;

import java.time.Instant;

/** An operator's purge: {@code PURGE BINARY LOGS TO 'file'} or {@code ... BEFORE 'time'}. Immutable. */
public sealed interface PurgeRequest {

    /** Drop every file before {@code file}. */
    record To(String file) implements PurgeRequest {}

    /** Drop the files the master closed before {@code time}. */
    record Before(Instant time) implements PurgeRequest {}
}
