package kingbus.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;

/**
 * One pass over the raw events of a {@link Chunk}: checks that they are whole events whose
 * header positions agree with where they lie, and picks out what the store indexes (GTIDs, the
 * file's FORMAT_DESCRIPTION and GTID_LIST, a closing ROTATE).
 *
 * <p>Immutable after construction; thread-safe.
 */
final class EventScan {

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
        byte[] bytes = chunk.buffer();
        int end = chunk.endOffset();
        List<MariadbGtid> gtids = new ArrayList<>();
        byte[] fde = null;
        GtidList gtidList = null;
        boolean rotates = false;
        int offset = chunk.offset();
        while (offset < end) {
            long position = chunk.startPosition() + (offset - chunk.offset());
            if (end - offset < LogEvent.LOG_EVENT_HEADER_LEN) {
                return invalid("a truncated event header at position " + position);
            }
            int size = eventSize(bytes, offset);
            if (size < LogEvent.LOG_EVENT_HEADER_LEN || size > end - offset) {
                return invalid("an event at position " + position + " claims " + size + " bytes");
            }
            long logPos = LogEvent.uint32(bytes, offset + LogEvent.LOG_POS_OFFSET);
            if (logPos != position + size) {
                return invalid("the event at position " + position + " says it ends at " + logPos
                        + ", not " + (position + size));
            }
            int type = bytes[offset + LogEvent.EVENT_TYPE_OFFSET] & 0xFF;
            switch (type) {
                case LogEvent.GTID_EVENT -> {
                    byte[] event = Arrays.copyOfRange(bytes, offset, offset + LogEvent.LOG_EVENT_HEADER_LEN + 12);
                    gtids.add(new MariadbGtid(LogEvent.gtidDomain(event), LogEvent.serverId(event),
                            LogEvent.gtidSequence(event)));
                }
                case LogEvent.FORMAT_DESCRIPTION_EVENT -> {
                    if (position == BinlogFile.BIN_LOG_HEADER_SIZE) {
                        fde = Arrays.copyOfRange(bytes, offset, offset + size);
                    }
                }
                case LogEvent.GTID_LIST_EVENT -> {
                    if (gtids.isEmpty() && gtidList == null) {
                        gtidList = Events.readGtidList(Arrays.copyOfRange(bytes, offset, offset + size));
                    }
                }
                case LogEvent.ROTATE_EVENT -> rotates = true;
                default -> { }
            }
            offset += size;
        }
        return new EventScan(null, gtids, fde, gtidList, rotates);
    }

    private static EventScan invalid(String problem) {
        return new EventScan(problem, List.of(), null, null, false);
    }

    /** The event_size field of the header at {@code offset}. */
    static int eventSize(byte[] bytes, int offset) {
        long size = LogEvent.uint32(bytes, offset + LogEvent.EVENT_LEN_OFFSET);
        return size > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) size;
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
