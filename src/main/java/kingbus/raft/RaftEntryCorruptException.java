package kingbus.raft;

/**
 * A Raft entry whose bytes are not the ones proposed: it fails its checksum ({@link EntryCodec}). Nothing of it is
 * stored. Immutable.
 */
public final class RaftEntryCorruptException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public RaftEntryCorruptException(String message) {
        super(message);
    }
}
