package kingbus.store;

/**
 * What {@link BinlogStore#append} did with a batch of chunks. Deterministic: every node gives the
 * same result for the same committed entry, so a duplicate or out-of-place entry is skipped
 * everywhere alike.
 */
public enum AppendResult {
    /** Every chunk continued its file exactly and is now committed. */
    APPENDED,
    /** Every chunk was already held (same file, position before the end): nothing changed. */
    DUPLICATE,
    /** A chunk did not continue the held binlog (a gap, an overlap or a malformed event): nothing changed. */
    REJECTED
}
