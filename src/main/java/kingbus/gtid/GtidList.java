package kingbus.gtid;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A MariaDB GTID position: the last GTID per (domain, server) pair, as written in a binlog's
 * {@code GTID_LIST_EVENT}, in {@code @@gtid_binlog_state}, or (one per domain) in a replica's
 * {@code @slave_connect_state} / {@code gtid_slave_pos}.
 *
 * <p>Text form: comma-separated GTIDs, e.g. {@code 0-1-100,1-2-7}; the empty string is the empty
 * position. Entries are kept sorted by (domain, server) so equal states have equal text.
 *
 * <p>Immutable and thread-safe. Hand-written: the connector's {@code MariadbGtidSet} is mutable
 * and keeps no per-server entries in a form we can compare and encode as a GTID_LIST event.
 */
public final class GtidList {

    public static final GtidList EMPTY = new GtidList(List.of());

    private static final Comparator<MariadbGtid> BY_DOMAIN_THEN_SERVER =
            Comparator.comparingLong(MariadbGtid::domainId).thenComparingLong(MariadbGtid::serverId);

    private final List<MariadbGtid> gtids;

    private GtidList(List<MariadbGtid> sorted) {
        this.gtids = List.copyOf(sorted);
    }

    /** Builds a list; for a repeated (domain, server) pair the last one given wins. */
    public static GtidList of(Collection<MariadbGtid> gtids) {
        Map<String, MariadbGtid> byPair = new LinkedHashMap<>();
        for (MariadbGtid gtid : gtids) {
            byPair.put(gtid.domainId() + "-" + gtid.serverId(), gtid);
        }
        List<MariadbGtid> sorted = new ArrayList<>(byPair.values());
        sorted.sort(BY_DOMAIN_THEN_SERVER);
        return new GtidList(sorted);
    }

    /**
     * Parses the text form (whitespace around entries is ignored).
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static GtidList parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        List<MariadbGtid> parsed = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                parsed.add(MariadbGtid.parse(part));
            }
        }
        return of(parsed);
    }

    public List<MariadbGtid> gtids() {
        return gtids;
    }

    public boolean isEmpty() {
        return gtids.isEmpty();
    }

    /** This position with {@code gtid} recorded as the latest of its (domain, server) pair. */
    public GtidList with(MariadbGtid gtid) {
        List<MariadbGtid> next = new ArrayList<>(gtids.size() + 1);
        boolean replaced = false;
        for (MariadbGtid existing : gtids) {
            if (existing.domainId() == gtid.domainId() && existing.serverId() == gtid.serverId()) {
                next.add(gtid);
                replaced = true;
            } else {
                next.add(existing);
            }
        }
        if (!replaced) {
            next.add(gtid);
            next.sort(BY_DOMAIN_THEN_SERVER);
        }
        return new GtidList(next);
    }

    /** The GTID with the highest sequence number in {@code domainId}, if any. */
    public Optional<MariadbGtid> lastInDomain(long domainId) {
        return gtids.stream()
                .filter(g -> g.domainId() == domainId)
                .max(Comparator.comparingLong(MariadbGtid::sequence));
    }

    /**
     * The position reduced to one GTID per domain (the highest sequence), as MariaDB reports
     * {@code @@gtid_binlog_pos} and as a replica's {@code gtid_slave_pos} looks.
     */
    public GtidList perDomain() {
        Map<Long, MariadbGtid> byDomain = new LinkedHashMap<>();
        for (MariadbGtid gtid : gtids) {
            byDomain.merge(gtid.domainId(), gtid, (a, b) -> a.sequence() >= b.sequence() ? a : b);
        }
        return of(byDomain.values());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidList other && gtids.equals(other.gtids);
    }

    @Override
    public int hashCode() {
        return gtids.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (MariadbGtid gtid : gtids) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(gtid);
        }
        return text.toString();
    }
}
