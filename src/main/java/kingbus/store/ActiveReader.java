package kingbus.store;

/**
 * One open cursor as a purge sees it: who reads (e.g. a replica's server id and address) and the
 * binlog file it is in now. Immutable.
 *
 * @param reader a description of the reader, for messages
 * @param file the binlog file the reader is in
 */
public record ActiveReader(String reader, String file) {}
