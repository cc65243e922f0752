package kingbus.gtid;

/**
 * One MariaDB global transaction id, {@code domain-server-sequence} (e.g. {@code 0-1-42}).
 *
 * <p>Immutable and thread-safe.
 */
public record MariadbGtid(long domainId, long serverId, long sequence) {

    public MariadbGtid {
        if (domainId < 0 || domainId > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("GTID domain id out of range: " + domainId);
        }
        if (serverId < 0 || serverId > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("GTID server id out of range: " + serverId);
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("GTID sequence out of range: " + Long.toUnsignedString(sequence));
        }
    }

    /**
     * Parses {@code domain-server-sequence}.
     *
     * @throws IllegalArgumentException naming the text when it is not a MariaDB GTID
     */
    public static MariadbGtid parse(String text) {
        String trimmed = text.trim();
        String[] parts = trimmed.split("-", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("Not a MariaDB GTID (domain-server-sequence): '" + text + "'");
        }
        try {
            return new MariadbGtid(
                    Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseUnsignedLong(parts[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Not a MariaDB GTID (domain-server-sequence): '" + text + "'", e);
        }
    }

    @Override
    public String toString() {
        return domainId + "-" + serverId + "-" + Long.toUnsignedString(sequence);
    }
}
