package kingbus.store;

import java.util.ArrayList;
import java.util.List;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;

/**
 * One pass over the raw events of a {@link Chunk}: checks that they are whole events whose
 * header positions agree with where they lie, and picks out what the store indexes (GTIDs, the
 * file's FORMAT_DESCRIPTION and GTID_LIST, a closing ROTATE).
 *
 * <p>Immutable after construction; thread-safe.
 */
final class EventScan {

    /** Common header: timestamp 4, type 1, server_id 4, event_size 4, log_pos 4, flags 2. */
    static final int LOG_EVENT_HEADER_LEN = 19;
    static final int EVENT_TYPE_OFFSET = 4;
    static final int SERVER_ID_OFFSET = 5;
    static final int EVENT_LEN_OFFSET = 9;
    static final int LOG_POS_OFFSET = 13;

    /** ROTATE_EVENT: the last event of a file, names the next one. */
    static final int ROTATE_EVENT = 4;
    /** FORMAT_DESCRIPTION_EVENT: the first event of every file. */
    static final int FORMAT_DESCRIPTION_EVENT = 15;
    /** MariaDB GTID_EVENT: starts an event group. */
    static final int GTID_EVENT = 162;
    /** MariaDB GTID_LIST_EVENT: the GTID state at the start of a file. */
    static final int GTID_LIST_EVENT = 163;
    /** GTID_LIST count field: the low 28 bits are the count, the high 4 are flags. */
    static final int GTID_LIST_COUNT_MASK = (1 << 28) - 1;

    private final String problem;
    private final List<MariadbGtid> gtids;
    private final byte[] formatDescription;
    private final GtidList gtidListAtStart;
    private final boolean rotates;

    private EventScan(String problem, List<MariadbGtid> gtids, byte[] fde, GtidList gtidList, boolean rotates) {
        this.problem = problem;
        this.gtids = gtids;
        this.formatDescription = fde;
        this.gtidListAtStart = gtidList;
        this.rotates = rotates;
    }

    static EventScan of(Chunk chunk) {
        byte[] bytes = chunk.events();
        List<MariadbGtid> gtids = new ArrayList<>();
        byte[] fde = null;
        GtidList gtidList = null;
        boolean rotates = false;
        int offset = 0;
        while (offset < bytes.length) {
            long position = chunk.startPosition() + offset;
            if (bytes.length - offset < LOG_EVENT_HEADER_LEN) {
                return invalid("a truncated event header at position " + position);
            }
            int size = eventSize(bytes, offset);
            if (size < LOG_EVENT_HEADER_LEN || size > bytes.length - offset) {
                return invalid("an event at position " + position + " claims " + size + " bytes");
            }
            long logPos = uint32(bytes, offset + LOG_POS_OFFSET);
            if (logPos != position + size) {
                return invalid("the event at position " + position + " says it ends at " + logPos
                        + ", not " + (position + size));
            }
            int type = bytes[offset + EVENT_TYPE_OFFSET] & 0xFF;
            int body = offset + LOG_EVENT_HEADER_LEN;
            switch (type) {
                case GTID_EVENT -> {
                    long sequence = int64(bytes, body);
                    long domain = uint32(bytes, body + Long.BYTES);
                    gtids.add(new MariadbGtid(domain, uint32(bytes, offset + SERVER_ID_OFFSET), sequence));
                }
                case FORMAT_DESCRIPTION_EVENT -> {
                    if (position == BinlogFile.BIN_LOG_HEADER_SIZE) {
                        fde = java.util.Arrays.copyOfRange(bytes, offset, offset + size);
                    }
                }
                case GTID_LIST_EVENT -> {
                    if (gtids.isEmpty() && gtidList == null) {
                        gtidList = readGtidList(bytes, body);
                    }
                }
                case ROTATE_EVENT -> rotates = true;
                default -> { }
            }
            offset += size;
        }
        return new EventScan(null, gtids, fde, gtidList, rotates);
    }

    private static GtidList readGtidList(byte[] bytes, int body) {
        long count = uint32(bytes, body) & GTID_LIST_COUNT_MASK;
        List<MariadbGtid> list = new ArrayList<>();
        int entry = body + Integer.BYTES;
        for (long i = 0; i < count; i++) {
            long domain = uint32(bytes, entry);
            long server = uint32(bytes, entry + 4);
            long sequence = int64(bytes, entry + 8);
            list.add(new MariadbGtid(domain, server, sequence));
            entry += 16;
        }
        return GtidList.of(list);
    }

    private static EventScan invalid(String problem) {
        return new EventScan(problem, List.of(), null, null, false);
    }

    /** The event_size field of the header at {@code offset}. */
    static int eventSize(byte[] bytes, int offset) {
        long size = uint32(bytes, offset + EVENT_LEN_OFFSET);
        return size > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) size;
    }

    static long uint32(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
    }

    static long int64(byte[] b, int i) {
        return uint32(b, i) | uint32(b, i + 4) << 32;
    }

    boolean valid() {
        return problem == null;
    }

    String problem() {
        return problem;
    }

    List<MariadbGtid> gtids() {
        return gtids;
    }

    byte[] formatDescription() {
        return formatDescription;
    }

    GtidList gtidListAtStart() {
        return gtidListAtStart;
    }

    boolean rotates() {
        return rotates;
    }
}
