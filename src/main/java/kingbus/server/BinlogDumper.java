package kingbus.server;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.EventGroups;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;
import kingbus.protocol.codec.PacketIO;
import kingbus.protocol.packet.BinlogDumpCommand;
import kingbus.protocol.packet.ErrorCode;
import kingbus.protocol.packet.Packets;
import kingbus.protocol.packet.SemiSync;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogReader;
import kingbus.store.BinlogUnavailableException;
import kingbus.store.StoreCorruptException;
import kingbus.store.EventCursor;
import kingbus.store.StoredEvent;

/**
 * Streams the committed binlog to one replica or reader after COM_BINLOG_DUMP, the way a MariaDB
 * 10.11 master does (DESIGN.md, "The stream Kingbus sends", and the captures it cites).
 *
 * <h2>Start</h2>
 * <ul>
 *   <li><b>GTID mode</b> when the session set {@code @slave_connect_state} (even to ''): every GTID
 *       of the position must be in the committed binlog state (same domain and server, sequence not
 *       beyond it); the dump starts at the newest file whose start state the position contains (as
 *       MariaDB's {@code gtid_find_binlog_file}) and skips, per domain, whole event groups up to
 *       and including the replica's GTID; after the last skipped group an artificial GTID_LIST
 *       tells the replica where it is. Unlike MariaDB, a domain Kingbus has never seen is an error,
 *       not a wait (DESIGN.md invariant 6).</li>
 *   <li><b>File/position mode</b> otherwise, from the requested file (empty = the first held) and
 *       position.</li>
 * </ul>
 * What cannot be served ends the dump with error 1236 naming the GTID, file or position.
 *
 * <h2>Stream</h2>
 * Each event behind a 0x00 byte: a fake ROTATE, the file's FDE (in-use flag cleared; log_pos and
 * created = 0 when starting mid-file; created = 0 while GTID skipping is pending), the events, and at
 * each new file the master's ROTATE, a fake ROTATE and the new file's FDE. When idle for
 * {@code @master_heartbeat_period} it sends a HEARTBEAT. The checksum algorithm is read from each
 * FDE; artificial events carry a CRC32 when the current algorithm is CRC32 (before the first FDE:
 * when the replica announced CRC32). A replica that never set {@code @master_binlog_checksum} gets
 * events without checksums and FDEs that say OFF. With BINLOG_DUMP_NON_BLOCK (or server id 0) the
 * stream ends with an EOF packet at the end of the committed binlog; otherwise it waits on the
 * store's commit signal ({@link BinlogReader#awaitCommit}), never polls.
 *
 * <h2>Semi-sync</h2>
 * For a replica that set {@code @rpl_semi_sync_slave = 1} every event goes behind
 * {@code 0x00 0xEF flags}; the last event of each group asks for an ack, and the packet count then
 * restarts at 1 as MariaDB's semi-sync master does. {@link ClientSession} reads the acks.
 *
 * <p>Runs on its session's thread; not thread-safe. Stops when {@code stopped} says so (server
 * closing or socket closed) or when a write to the replica fails.
 */
final class BinlogDumper {

    private static final Logger LOG = Logger.getLogger(BinlogDumper.class.getName());

    /** How long to wait for a commit when no heartbeat is due, before checking for shutdown. */
    static final long IDLE_WAKEUP_MILLIS = 1000;
    /** Counters are published to the server at least every this many bytes. */
    private static final long COUNTER_FLUSH_BYTES = 1 << 20;
    private static final long NANOS_PER_MILLI = 1_000_000;

    /** MariaDB's enum_gtid_skip_type: what is being skipped of the current event group. */
    private enum Skip { NOT, STANDALONE, TRANSACTION }

    private final MysqlServer server;
    private final BinlogReader store;
    private final PacketIO io;
    private final BinlogDumpCommand command;
    private final long serverId;
    private final boolean deprecateEof;
    private final BooleanSupplier stopped;
    /** Who reads, for a purge held back by this dump. */
    private final String reader;
    /** The replica set @master_binlog_checksum: it takes events as stored, with their checksums. */
    private final boolean checksumAware;
    private final long heartbeatMillis;
    /** Text of @slave_connect_state; null in file/position mode. */
    private final String connectState;
    private final boolean gtidStrictMode;
    private final boolean gtidIgnoreDuplicates;
    private final boolean nonBlocking;
    /** The replica set @rpl_semi_sync_slave = 1: events carry the semi-sync header (SemiSync). */
    private final boolean semiSync;
    private final byte[] semiSyncNoAck = SemiSync.eventPrefix(false);
    private final byte[] semiSyncNeedAck = SemiSync.eventPrefix(true);
    /** Semi-sync: a sent event group has not ended yet; its GTID had FL_STANDALONE. */
    private boolean inGroup;
    private boolean groupStandalone;

    /** The checksum algorithm of what is being sent: the replica's at first, then each FDE's. */
    private int currentChecksumAlg;
    private String currentFile;
    /** Read position in {@code currentFile}: the end of the last event read (sent or skipped). */
    private long readPosition;
    /** The dump starts mid-file: the first FDE gets log_pos = 0 and created = 0. */
    private boolean clearInitialLogPos;
    /** GTID mode: per domain, the replica's GTID not reached yet (MariaDB's gtid_state). */
    private final Map<Long, MariadbGtid> pending = new LinkedHashMap<>();
    /** GTIDs seen in this dump (MariaDB's until_binlog_state): the content of the artificial GTID_LIST. */
    private GtidList seen = GtidList.EMPTY;
    private Skip skip = Skip.NOT;
    private boolean sendFakeGtidList;
    private long pendingEvents;
    private long pendingBytes;

    BinlogDumper(MysqlServer server, PacketIO io, BinlogDumpCommand command, Map<String, String> variables,
            boolean deprecateEof, BooleanSupplier stopped, String reader) {
        this.server = server;
        this.reader = reader;
        this.store = server.store();
        this.io = io;
        this.command = command;
        this.serverId = server.settings().serverId();
        this.deprecateEof = deprecateEof;
        this.stopped = stopped;
        String checksum = variables.get("master_binlog_checksum");
        if (checksum == null) {
            checksum = variables.get("source_binlog_checksum");
        }
        this.checksumAware = checksum != null;
        this.currentChecksumAlg = checksum != null && checksum.trim().equalsIgnoreCase("CRC32")
                ? LogEvent.BINLOG_CHECKSUM_ALG_CRC32 : LogEvent.BINLOG_CHECKSUM_ALG_OFF;
        this.heartbeatMillis = heartbeatMillis(variables.get("master_heartbeat_period"));
        this.connectState = variables.get("slave_connect_state");
        this.gtidStrictMode = isTrue(variables.get("slave_gtid_strict_mode"));
        this.gtidIgnoreDuplicates = isTrue(variables.get("slave_gtid_ignore_duplicates"));
        // MariaDB also ends the stream at the end of the log for server id 0 (mariadb-binlog without --stop-never).
        this.nonBlocking = command.nonBlocking() || command.serverId() == 0;
        this.semiSync = wantsSemiSync(variables);
    }

    /** True when the replica asked for semi-sync framing ({@code SET @rpl_semi_sync_slave = 1}). */
    static boolean wantsSemiSync(Map<String, String> variables) {
        return isTrue(variables.get("rpl_semi_sync_slave"));
    }

    /** @master_heartbeat_period in nanoseconds (an integer, or a decimal as some clients send) to millis. */
    static long heartbeatMillis(String nanos) {
        if (nanos == null || nanos.isBlank()) {
            return 0;
        }
        try {
            double value = Double.parseDouble(nanos.trim());
            if (value <= 0) {
                return 0;
            }
            return Math.max(1, (long) (value / NANOS_PER_MILLI));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean isTrue(String value) {
        return value != null && (value.trim().equals("1") || value.trim().equalsIgnoreCase("ON"));
    }

    /** Runs the dump until the end (non-blocking), an error, the replica leaving, or shutdown. */
    void run() throws IOException, InterruptedException {
        EventCursor cursor;
        try {
            cursor = start();
        } catch (BinlogUnavailableException | StoreCorruptException e) {
            fail(e.getMessage());
            return;
        }
        if (cursor == null) {
            return; // ended before the first event (non-blocking dump of an empty store, or shutdown)
        }
        try (cursor) {
            stream(cursor);
        } catch (BinlogUnavailableException | StoreCorruptException e) {
            fail(e.getMessage() + "; the last event read from '" + currentFile + "' ended at " + readPosition);
        } finally {
            flushCounters();
        }
    }

    private void fail(String message) throws IOException {
        LOG.warning(() -> "Binlog dump for replica server_id " + command.serverId() + " failed: " + message);
        io.write(Packets.error(ErrorCode.ER_MASTER_FATAL_ERROR_READING_BINLOG, message));
        io.flush();
    }

    // ---------------------------------------------------------------- start point

    private EventCursor start() throws IOException, InterruptedException {
        List<BinlogFile> files = awaitFirstFile();
        if (files == null) {
            return null;
        }
        BinlogFile file;
        long position;
        if (connectState != null) {
            file = startFileForGtid(files, parseConnectState(connectState));
            position = file.firstPosition();
        } else {
            String name = command.file().isEmpty() ? files.get(0).name() : command.file();
            file = store.file(name).orElseThrow(() -> new BinlogUnavailableException(
                    "Could not find first log file name in binary log index file: Kingbus does not hold '" + name
                            + "' (it holds " + files.get(0).name() + " to " + files.get(files.size() - 1).name()
                            + ")"));
            position = Math.max(command.position(), BinlogFile.BIN_LOG_HEADER_SIZE);
            if (position > file.endPosition()) {
                throw new BinlogUnavailableException("Client requested master to start replication from impossible "
                        + "position; the first event '" + name + "' at " + position + ", but Kingbus has committed '"
                        + name + "' only up to position " + file.endPosition());
            }
            if (position < file.firstPosition()) {
                throw new BinlogUnavailableException("Kingbus holds '" + name + "' only from position "
                        + file.firstPosition() + ", so it cannot start at " + position
                        + "; start at a later file or use GTID mode");
            }
        }
        return openAt(file, position);
    }

    /**
     * The committed files; waits for the first commit unless the dump is non-blocking (then the
     * stream ends at once, as for a master with nothing to send).
     */
    private List<BinlogFile> awaitFirstFile() throws IOException, InterruptedException {
        while (!stopped.getAsBoolean()) {
            long seen = store.commitVersion();
            List<BinlogFile> files = store.files();
            if (!files.isEmpty()) {
                return files;
            }
            // A replica pointed at a new node before its first commit waits for it, whatever it asks for
            // (failing with 1236 would stop its IO thread for good); what it asks for is checked then.
            if (nonBlocking && !command.file().isEmpty() && connectState == null) {
                throw new BinlogUnavailableException("Could not find first log file name in binary log index file: "
                        + "Kingbus holds no binlog yet, so not '" + command.file() + "'");
            }
            if (nonBlocking) {
                sendEndOfStream();
                return null;
            }
            store.awaitCommit(seen, IDLE_WAKEUP_MILLIS);
        }
        return null;
    }

    /** The replica's position, one GTID per domain (MariaDB's slave_connection_state). */
    private static GtidList parseConnectState(String text) {
        try {
            GtidList parsed = GtidList.parse(text.replace("'", ""));
            if (parsed.perDomain().gtids().size() != parsed.gtids().size()) {
                throw new BinlogUnavailableException("The replica's GTID position '" + text
                        + "' names a replication domain more than once");
            }
            return parsed;
        } catch (IllegalArgumentException e) {
            throw new BinlogUnavailableException("Could not parse the replica's GTID position @slave_connect_state='"
                    + text + "': " + e.getMessage());
        }
    }

    /**
     * Checks the replica's GTIDs against the committed state and picks the file to start from;
     * fills {@link #pending} with what must still be skipped.
     */
    private BinlogFile startFileForGtid(List<BinlogFile> files, GtidList position) {
        GtidList committed = store.gtidState();
        for (MariadbGtid wanted : position.gtids()) {
            Optional<MariadbGtid> sameServer = committed.gtids().stream()
                    .filter(g -> g.domainId() == wanted.domainId() && g.serverId() == wanted.serverId()).findFirst();
            if (sameServer.isPresent() && Long.compareUnsigned(sameServer.get().sequence(), wanted.sequence()) >= 0) {
                continue;
            }
            Optional<MariadbGtid> domainLast = committed.lastInDomain(wanted.domainId());
            if (domainLast.isEmpty()) {
                throw new BinlogUnavailableException("Connecting slave requested to start from GTID " + wanted
                        + ", which is not in the master's binlog: Kingbus holds no GTID of replication domain "
                        + wanted.domainId() + " (its binlog state is '" + committed + "')");
            }
            if (gtidIgnoreDuplicates
                    && Long.compareUnsigned(domainLast.get().sequence(), wanted.sequence()) < 0) {
                continue;
            }
            if (Long.compareUnsigned(domainLast.get().sequence(), wanted.sequence()) >= 0) {
                throw new BinlogUnavailableException("Connecting slave requested to start from GTID " + wanted
                        + ", which is not in the master's binlog (Kingbus has domain " + wanted.domainId()
                        + " up to " + domainLast.get() + " but never had server " + wanted.serverId()
                        + " at that sequence). The slave has probably diverged");
            }
            throw new BinlogUnavailableException("Connecting slave requested to start from GTID " + wanted
                    + ", which is not in the master's binlog: Kingbus has committed domain " + wanted.domainId()
                    + " only up to " + domainLast.get() + " (the replica is ahead of the cluster)");
        }
        for (int i = files.size() - 1; i >= 0; i--) {
            BinlogFile file = files.get(i);
            if (containsAll(position, file.startState())) {
                for (MariadbGtid gtid : position.gtids()) {
                    pending.put(gtid.domainId(), gtid);
                }
                for (MariadbGtid atStart : file.startState().gtids()) {
                    MariadbGtid wanted = pending.get(atStart.domainId());
                    if (wanted != null && wanted.equals(atStart)) {
                        pending.remove(atStart.domainId()); // the replica's GTID is the last before this file
                    }
                }
                return file;
            }
        }
        throw new BinlogUnavailableException("Could not find GTID state requested by slave in any binlog files. "
                + "Probably the slave state is too old and required binlog files have been purged: the replica "
                + "asks to continue after '" + position + "', but the binlog up to GTID state '"
                + files.get(0).startState() + "' is purged (or was never held): that is the GTID_LIST of "
                + files.get(0).name() + ", the first file Kingbus holds");
    }

    /**
     * MariaDB's {@code contains_all_slave_gtid}: the replica's position includes everything before
     * a file that starts at {@code fileStart} (for each domain there, the replica has a GTID, and if
     * it is of the same server its sequence is beyond the file's, or it is exactly the domain's last
     * GTID before the file).
     */
    static boolean containsAll(GtidList position, GtidList fileStart) {
        List<MariadbGtid> start = fileStart.gtids();
        for (int i = 0; i < start.size(); i++) {
            MariadbGtid atStart = start.get(i);
            Optional<MariadbGtid> has = position.lastInDomain(atStart.domainId());
            if (has.isEmpty()) {
                return false;
            }
            if (has.get().serverId() == atStart.serverId()
                    && Long.compareUnsigned(has.get().sequence(), atStart.sequence()) <= 0) {
                if (has.get().sequence() != atStart.sequence()) {
                    return false;
                }
                if (!isLastOfDomain(fileStart, atStart)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** True when {@code gtid} has the highest sequence of its domain in {@code list}. */
    private static boolean isLastOfDomain(GtidList list, MariadbGtid gtid) {
        return list.lastInDomain(gtid.domainId()).map(last -> last.equals(gtid)).orElse(true);
    }

    /** Opens the cursor, then sends the fake ROTATE (and the FDE when starting mid-file). */
    private EventCursor openAt(BinlogFile file, long position) throws IOException {
        EventCursor cursor;
        try {
            cursor = store.open(file.name(), position, reader);
        } catch (BinlogUnavailableException e) {
            throw new BinlogUnavailableException(e.getMessage() + "; the first event '" + file.name() + "' at "
                    + position);
        }
        try {
            currentFile = file.name();
            readPosition = position;
            sendArtificial(Events.fakeRotate(serverId, file.name(), position, artificialChecksum()));
            if (position > BinlogFile.BIN_LOG_HEADER_SIZE) {
                byte[] fde = file.formatDescription();
                if (fde == null) {
                    throw new BinlogUnavailableException("Kingbus does not hold the start of binlog file '"
                            + file.name() + "', so it cannot send its FORMAT_DESCRIPTION event; start at a later file");
                }
                clearInitialLogPos = true;
                sendFormatDescription(fde);
            }
            return cursor;
        } catch (IOException | RuntimeException e) {
            cursor.close(); // an open cursor holds purges back: never leave one behind
            throw e;
        }
    }

    // ---------------------------------------------------------------- streaming

    private void stream(EventCursor cursor) throws IOException, InterruptedException {
        while (!stopped.getAsBoolean()) {
            long seenVersion = store.commitVersion();
            StoredEvent event = cursor.next();
            if (event != null) {
                process(event);
                continue;
            }
            flushCounters();
            io.flush();
            if (nonBlocking) {
                sendEndOfStream();
                return;
            }
            long wait = heartbeatMillis > 0 ? heartbeatMillis : IDLE_WAKEUP_MILLIS;
            if (!store.awaitCommit(seenVersion, wait) && heartbeatMillis > 0 && !stopped.getAsBoolean()) {
                sendArtificial(Events.heartbeat(serverId, currentFile, readPosition, artificialChecksum()));
                io.flush();
            }
        }
    }

    private void process(StoredEvent stored) throws IOException {
        if (!stored.file().equals(currentFile)) {
            // The master's ROTATE ended the previous file; announce the new one as the master does.
            sendArtificial(Events.fakeRotate(serverId, stored.file(), stored.position(), artificialChecksum()));
            currentFile = stored.file();
            skip = Skip.NOT;
        }
        readPosition = stored.endPosition();
        int type = stored.type();
        boolean checksGtid = type == LogEvent.GTID_EVENT && connectState != null && !pending.isEmpty();
        if (type != LogEvent.FORMAT_DESCRIPTION_EVENT && skip == Skip.NOT && !semiSync && !stripsChecksums()
                && !checksGtid) {
            // The common case: the event goes out as stored, from the store's shared segment, without a copy.
            if (wanted(type)) {
                send(stored.buffer(), stored.offset(), stored.length(), false);
            }
            sendFakeGtidListIfDue();
            return;
        }
        byte[] event = stored.bytes();
        if (type == LogEvent.FORMAT_DESCRIPTION_EVENT) {
            sendFormatDescription(event);
            return;
        }
        boolean crc = currentChecksumAlg == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
        if (checksGtid) {
            checkGtid(event, stored);
        }
        if (!skipped(event, type, crc) && wanted(type)) {
            sendStored(event, semiSync && endsSentGroup(event, type, crc));
        }
        sendFakeGtidListIfDue();
    }

    /** False for ANNOTATE_ROWS events when the replica did not ask for them (flag 0x02). */
    private boolean wanted(int type) {
        return type != LogEvent.ANNOTATE_ROWS_EVENT || command.sendAnnotateRows();
    }

    private void sendFakeGtidListIfDue() throws IOException {
        if (sendFakeGtidList && skip == Skip.NOT) {
            sendArtificial(Events.artificialGtidList(serverId, readPosition, seen, artificialChecksum()));
            sendFakeGtidList = false;
        }
    }

    /** True when events lose their CRC32 on the way out: the replica did not announce checksum support. */
    private boolean stripsChecksums() {
        return !checksumAware && currentChecksumAlg == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
    }

    /**
     * At a GTID event while some domain has not reached the replica's GTID: decides whether its
     * group is skipped, as MariaDB's {@code send_event_to_slave} does.
     */
    private void checkGtid(byte[] event, StoredEvent stored) {
        MariadbGtid gtid = new MariadbGtid(LogEvent.gtidDomain(event), LogEvent.serverId(event),
                LogEvent.gtidSequence(event));
        seen = seen.with(gtid);
        MariadbGtid wanted = pending.get(gtid.domainId());
        if (wanted == null) {
            return;
        }
        boolean sameServer = gtid.serverId() == wanted.serverId();
        int cmp = Long.compareUnsigned(gtid.sequence(), wanted.sequence());
        if (!sameServer || cmp <= 0) {
            skip = EventGroups.isStandalone(event) ? Skip.STANDALONE : Skip.TRANSACTION;
        }
        if (sameServer && cmp >= 0) {
            if (cmp > 0 && gtidStrictMode) {
                throw new BinlogUnavailableException("The binlog on the master is missing the GTID " + wanted
                        + " requested by the slave (even though both a prior and a subsequent sequence number does "
                        + "exist), and GTID strict mode is enabled: '" + stored.file() + "' at " + stored.position()
                        + " has " + gtid);
            }
            sendFakeGtidList = true;
            pending.remove(gtid.domainId());
        }
    }

    /** Applies the skip state to one event; true when the event is not sent. */
    private boolean skipped(byte[] event, int type, boolean crc) {
        switch (skip) {
            case STANDALONE:
                if (!LogEvent.isPartOfGroup(type)) {
                    skip = Skip.NOT;
                }
                return true;
            case TRANSACTION:
                if (type == LogEvent.XID_EVENT || type == LogEvent.XA_PREPARE_LOG_EVENT
                        || ((type == LogEvent.QUERY_EVENT || type == EventGroups.QUERY_COMPRESSED_EVENT)
                                && EventGroups.endsGroup(event, false, crc))) {
                    skip = Skip.NOT;
                }
                return true;
            default:
                return false;
        }
    }

    private void sendFormatDescription(byte[] fde) throws IOException {
        currentChecksumAlg = LogEvent.checksumAlgorithm(fde);
        boolean zeroLogPos = clearInitialLogPos;
        // created = 0 keeps a reconnecting replica's temporary tables (MariaDB send_format_descriptor_event).
        boolean keepCreated = !clearInitialLogPos && pending.isEmpty();
        clearInitialLogPos = false;
        sendStored(Events.formatDescriptionForStream(fde, keepCreated, zeroLogPos));
    }

    /** True when artificial events get a CRC32: the current algorithm, unless checksums are stripped. */
    private boolean artificialChecksum() {
        return currentChecksumAlg == LogEvent.BINLOG_CHECKSUM_ALG_CRC32 && checksumAware;
    }

    /** Sends an event of the current file, without its checksum for a checksum-unaware replica. */
    /**
     * Semi-sync: true when {@code event}, about to be sent, ends the group the replica is receiving
     * (where a MariaDB master asks for the ack of a waiting commit; Kingbus asks at every group end,
     * since all it sends is committed).
     */
    private boolean endsSentGroup(byte[] event, int type, boolean crc) {
        if (type == LogEvent.GTID_EVENT) {
            inGroup = true;
            groupStandalone = EventGroups.isStandalone(event);
            return false;
        }
        if (inGroup && EventGroups.endsGroup(event, groupStandalone, crc)) {
            inGroup = false;
            return true;
        }
        return false;
    }

    private void sendStored(byte[] event) throws IOException {
        sendStored(event, false);
    }

    private void sendStored(byte[] event, boolean needAck) throws IOException {
        send(stripsChecksums() ? Events.withoutChecksum(event) : event, needAck);
    }

    private void sendArtificial(byte[] event) throws IOException {
        send(event, false);
    }

    private void send(byte[] event, boolean needAck) throws IOException {
        send(event, 0, event.length, needAck);
    }

    private void send(byte[] buffer, int offset, int length, boolean needAck) throws IOException {
        if (semiSync) {
            io.write(needAck ? semiSyncNeedAck : semiSyncNoAck, buffer, offset, length);
            if (needAck) {
                // As MariaDB's Repl_semi_sync_master::flush_net: send it now, and restart the
                // packet count as the replica does when it writes its ack (the next event is 1).
                io.flush();
                io.sequence(1);
            }
        } else {
            io.write(Packets.OK_HEADER, buffer, offset, length);
        }
        pendingEvents++;
        pendingBytes += length;
        if (pendingBytes > COUNTER_FLUSH_BYTES) {
            flushCounters();
        }
    }

    /** The end of a non-blocking dump: EOF, or an OK with the 0xFE header under CLIENT_DEPRECATE_EOF. */
    private void sendEndOfStream() throws IOException {
        io.write(Packets.endOfRows(deprecateEof));
        io.flush();
    }

    private void flushCounters() {
        if (pendingEvents > 0) {
            server.sent(pendingEvents, pendingBytes);
            pendingEvents = 0;
            pendingBytes = 0;
        }
    }

    /** For log lines: where the dump starts. */
    static String describeStart(BinlogDumpCommand command, Map<String, String> variables) {
        String state = variables.get("slave_connect_state");
        return state != null ? "GTID position '" + state + "'"
                : (command.file().isEmpty() ? "the first file" : command.file()) + ":" + command.position()
                        + (command.nonBlocking() ? " (non-blocking)" : "");
    }
}
