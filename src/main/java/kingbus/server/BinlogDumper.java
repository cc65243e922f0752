package kingbus.server;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.EventGroups;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;
import kingbus.protocol.codec.PacketIO;
import kingbus.protocol.packet.BinlogDumpCommand;
import kingbus.protocol.packet.ErrorCode;
import kingbus.protocol.packet.Packets;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogReader;
import kingbus.store.BinlogUnavailableException;
import kingbus.store.EventCursor;
import kingbus.store.StoredEvent;

/**
 * Streams the committed binlog to one replica or reader, the way a MariaDB 10.11 master does (see
 * ../shared/DESIGN.md, "The stream Kingbus sends", and the captures it cites).
 *
 * <h2>Start</h2>
 * GTID mode when the session set {@code @slave_connect_state} to a non-empty position: the newest
 * file whose start state the replica already has, from its beginning, skipping whole groups the
 * replica has; an artificial GTID_LIST marks where the skipping ended. Otherwise file/position
 * mode from the requested file and position. What cannot be served (unknown domain, purged GTID,
 * replica ahead of the cluster, unknown file, bad position) ends the dump with error 1236 naming it.
 *
 * <h2>Stream</h2>
 * Each event behind a 0x00 byte: fake ROTATE, FDE (in-use flag cleared; created = 0 and maybe
 * log_pos = 0 when not starting at the file's beginning), then the events; a fake ROTATE at each new
 * file; HEARTBEAT events when idle; checksums stripped for a replica that did not announce it
 * understands them. It waits on the store's commit signal, never polls.
 *
 * <p>Runs on its session's thread; not thread-safe.
 */
final class BinlogDumper {

    private final MysqlServer server;
    private final BinlogReader store;
    private final PacketIO io;
    private final BinlogDumpCommand command;
    private final long serverId;
    /** The replica set @master_binlog_checksum: it takes events as stored, with their CRC. */
    private final boolean checksumAware;
    /** The replica announced CRC32 (not NONE): the first fake ROTATE carries a CRC. */
    private final boolean announcedCrc;
    private final long heartbeatMillis;
    /** GTID mode: the replica's position, one GTID per domain; null in file/position mode. */
    private final GtidList replicaPosition;

    private String currentFile;
    private long lastPosition;
    private boolean fileHasChecksum;
    private boolean skippingGroup;
    private boolean inGroup;
    private boolean groupStandalone;
    private boolean skippedAny;
    private boolean gtidListSent;
    private long pendingEvents;
    private long pendingBytes;

    BinlogDumper(MysqlServer server, PacketIO io, BinlogDumpCommand command, Map<String, String> variables) {
        this.server = server;
        this.store = server.store();
        this.io = io;
        this.command = command;
        this.serverId = server.settings().serverId();
        String checksum = variables.get("master_binlog_checksum");
        this.checksumAware = checksum != null;
        this.announcedCrc = checksum != null && checksum.trim().toUpperCase(Locale.ROOT).equals("CRC32");
        this.heartbeatMillis = heartbeatMillis(variables.get("master_heartbeat_period"));
        String connectState = variables.get("slave_connect_state");
        this.replicaPosition = connectState == null ? null : parsePosition(connectState);
    }

    private static long heartbeatMillis(String nanos) {
        if (nanos == null || nanos.isBlank()) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(nanos.trim()) / 1_000_000);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static GtidList parsePosition(String text) {
        try {
            return GtidList.parse(text).perDomain();
        } catch (IllegalArgumentException e) {
            throw new BinlogUnavailableException("Could not parse the replica's GTID position '" + text + "': "
                    + e.getMessage());
        }
    }

    void run() throws IOException, InterruptedException {
        EventCursor cursor;
        try {
            cursor = start();
        } catch (BinlogUnavailableException e) {
            io.write(Packets.error(ErrorCode.ER_MASTER_FATAL_ERROR_READING_BINLOG, e.getMessage()));
            io.flush();
            return;
        }
        if (cursor == null) {
            return; // non-blocking dump of an empty store: EOF already sent
        }
        try (cursor) {
            stream(cursor);
        } catch (BinlogUnavailableException e) {
            flushCounters();
            io.write(Packets.error(ErrorCode.ER_MASTER_FATAL_ERROR_READING_BINLOG, e.getMessage()));
            io.flush();
        }
    }

    // ---------------------------------------------------------------- start point

    private EventCursor start() throws IOException, InterruptedException {
        List<BinlogFile> files = awaitFirstFile();
        if (files == null) {
            return null;
        }
        if (replicaPosition != null && !replicaPosition.isEmpty()) {
            return startAtGtid(files);
        }
        if (replicaPosition != null) {
            return startAtFile(files.get(0), files.get(0).firstPosition(), false);
        }
        String name = command.file().isEmpty() ? files.get(0).name() : command.file();
        BinlogFile file = store.file(name).orElseThrow(() -> new BinlogUnavailableException(
                "Could not find first log file name in binary log index file: Kingbus does not hold '" + name
                        + "' (it holds " + files.get(0).name() + " to " + files.get(files.size() - 1).name() + ")"));
        long position = Math.max(command.position(), BinlogFile.BIN_LOG_HEADER_SIZE);
        if (position > file.endPosition()) {
            throw new BinlogUnavailableException("Client requested master to start replication from position > file size: "
                    + name + ":" + position + ", but the file ends at " + file.endPosition());
        }
        return startAtFile(file, Math.max(position, file.firstPosition()), false);
    }

    /** The committed files; waits for the first one unless the dump is non-blocking. */
    private List<BinlogFile> awaitFirstFile() throws IOException, InterruptedException {
        while (true) {
            long seen = store.commitVersion();
            List<BinlogFile> files = store.files();
            if (!files.isEmpty()) {
                return files;
            }
            if (!command.file().isEmpty() && replicaPosition == null) {
                throw new BinlogUnavailableException("Could not find first log file name in binary log index file: "
                        + "Kingbus holds no binlog yet");
            }
            if (command.nonBlocking()) {
                io.write(Packets.eof());
                io.flush();
                return null;
            }
            store.awaitCommit(seen, 1000);
        }
    }

    private EventCursor startAtGtid(List<BinlogFile> files) throws IOException {
        GtidList committed = store.gtidState();
        GtidList firstHeld = files.get(0).startState();
        for (MariadbGtid wanted : replicaPosition.gtids()) {
            Optional<MariadbGtid> last = committed.lastInDomain(wanted.domainId());
            if (last.isEmpty()) {
                throw new BinlogUnavailableException("Connecting slave requested to start from GTID " + wanted
                        + ", which is not in the master's binlog: Kingbus holds no GTID of domain " + wanted.domainId());
            }
            if (Long.compareUnsigned(wanted.sequence(), last.get().sequence()) > 0) {
                throw new BinlogUnavailableException("Connecting slave requested to start from GTID " + wanted
                        + ", which is not in the master's binlog: Kingbus has committed domain " + wanted.domainId()
                        + " only up to " + last.get());
            }
            Optional<MariadbGtid> first = firstHeld.lastInDomain(wanted.domainId());
            if (first.isPresent() && Long.compareUnsigned(wanted.sequence(), first.get().sequence()) < 0) {
                throw new BinlogUnavailableException("Connecting slave requested to start from GTID " + wanted
                        + ", which has been purged: Kingbus holds domain " + wanted.domainId() + " only after "
                        + first.get());
            }
        }
        BinlogFile chosen = null;
        for (BinlogFile file : files) {
            if (covers(replicaPosition, file.startState())) {
                chosen = file;
            }
        }
        if (chosen == null) {
            throw new BinlogUnavailableException("Could not find GTID state requested by slave in any binlog files: "
                    + "the replica's position '" + replicaPosition + "' lacks domains that Kingbus's oldest file "
                    + files.get(0).name() + " starts with ('" + firstHeld + "'); they were purged");
        }
        return startAtFile(chosen, chosen.firstPosition(), true);
    }

    /** True when {@code position} has, for every domain of {@code fileStart}, at least that GTID. */
    private static boolean covers(GtidList position, GtidList fileStart) {
        for (MariadbGtid atStart : fileStart.perDomain().gtids()) {
            Optional<MariadbGtid> has = position.lastInDomain(atStart.domainId());
            if (has.isEmpty() || Long.compareUnsigned(has.get().sequence(), atStart.sequence()) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Sends the fake ROTATE (and the FDE when starting mid-file) and opens the cursor. */
    private EventCursor startAtFile(BinlogFile file, long position, boolean gtidMode) throws IOException {
        EventCursor cursor = store.open(file.name(), position);
        currentFile = file.name();
        lastPosition = position;
        byte[] fde = file.formatDescription();
        fileHasChecksum = fde != null && LogEvent.checksumAlgorithm(fde) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
        sendEvent(Events.fakeRotate(serverId, file.name(), position, announcedCrc), false);
        if (position > BinlogFile.BIN_LOG_HEADER_SIZE) {
            if (fde == null) {
                cursor.close();
                throw new BinlogUnavailableException("Kingbus does not hold the start of binlog file '" + file.name()
                        + "', so it cannot send its FORMAT_DESCRIPTION event");
            }
            sendEvent(Events.formatDescriptionForStream(fde, false, !gtidMode), fileHasChecksum);
        }
        return cursor;
    }

    // ---------------------------------------------------------------- streaming

    private void stream(EventCursor cursor) throws IOException, InterruptedException {
        while (true) {
            long seen = store.commitVersion();
            StoredEvent event = cursor.next();
            if (event == null) {
                flushCounters();
                io.flush();
                if (command.nonBlocking()) {
                    io.write(Packets.eof());
                    io.flush();
                    return;
                }
                long wait = heartbeatMillis > 0 ? heartbeatMillis : 1000;
                if (!store.awaitCommit(seen, wait) && heartbeatMillis > 0) {
                    sendEvent(Events.heartbeat(serverId, currentFile, lastPosition, checksumAware && fileHasChecksum),
                            false);
                    io.flush();
                }
                continue;
            }
            process(event);
        }
    }

    private void process(StoredEvent stored) throws IOException {
        byte[] event = stored.bytes();
        if (!stored.file().equals(currentFile)) {
            // The master's ROTATE ended the previous file; announce the new one like the master does.
            sendEvent(Events.fakeRotate(serverId, stored.file(), stored.position(), checksumAware && fileHasChecksum),
                    false);
            currentFile = stored.file();
            inGroup = false;
            skippingGroup = false;
        }
        lastPosition = stored.endPosition();
        int type = LogEvent.type(event);
        if (type == LogEvent.FORMAT_DESCRIPTION_EVENT) {
            fileHasChecksum = LogEvent.checksumAlgorithm(event) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
            boolean gtidStart = replicaPosition != null && !replicaPosition.isEmpty();
            sendEvent(Events.formatDescriptionForStream(event, !gtidStart, false), fileHasChecksum);
            return;
        }
        if (EventGroups.startsGroup(event)) {
            inGroup = true;
            groupStandalone = EventGroups.isStandalone(event);
            skippingGroup = replicaHas(event);
            if (skippingGroup) {
                skippedAny = true;
            } else if (skippedAny && !gtidListSent) {
                sendEvent(Events.artificialGtidList(serverId, stored.position(), replicaPosition,
                        checksumAware && fileHasChecksum), false);
                gtidListSent = true;
            }
        } else if (inGroup && EventGroups.endsGroup(event, groupStandalone, fileHasChecksum)) {
            inGroup = false;
            if (skippingGroup) {
                skippingGroup = false;
                return;
            }
        }
        if (skippingGroup && inGroup) {
            return;
        }
        if (type == LogEvent.ANNOTATE_ROWS_EVENT && !command.sendAnnotateRows()) {
            return;
        }
        sendEvent(event, fileHasChecksum);
    }

    /** True when the replica's position already includes this GTID event's transaction. */
    private boolean replicaHas(byte[] gtidEvent) {
        if (replicaPosition == null) {
            return false;
        }
        Optional<MariadbGtid> has = replicaPosition.lastInDomain(LogEvent.gtidDomain(gtidEvent));
        return has.isPresent() && Long.compareUnsigned(LogEvent.gtidSequence(gtidEvent), has.get().sequence()) <= 0;
    }

    /**
     * Sends one event behind the OK byte. An event that carries a CRC32 loses it (and an FDE says
     * NONE) for a replica that never announced it understands checksums.
     */
    private void sendEvent(byte[] event, boolean hasChecksum) throws IOException {
        byte[] out = event;
        if (hasChecksum && !checksumAware) {
            if (LogEvent.type(event) == LogEvent.FORMAT_DESCRIPTION_EVENT) {
                out = event.clone();
                out[out.length - LogEvent.BINLOG_CHECKSUM_LEN - 1] = (byte) LogEvent.BINLOG_CHECKSUM_ALG_OFF;
            }
            out = EventChecksum.strip(out);
        }
        io.write(Packets.OK_HEADER, out, 0, out.length);
        pendingEvents++;
        pendingBytes += out.length;
        if (pendingBytes > (1 << 20)) {
            flushCounters();
        }
    }

    private void flushCounters() {
        if (pendingEvents > 0) {
            server.sent(pendingEvents, pendingBytes);
            pendingEvents = 0;
            pendingBytes = 0;
        }
    }
}
