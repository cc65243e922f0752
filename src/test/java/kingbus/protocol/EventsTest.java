package kingbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import kingbus.gtid.GtidList;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.EventGroups;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;
import kingbus.protocol.packet.NativePassword;
import kingbus.testing.FixtureEvents;
import org.junit.jupiter.api.Test;

/** Events built by Kingbus are byte-identical to what MariaDB 10.11 sent in the captures. */
class EventsTest {

    private static byte[] captured(String transcript, String marker, int nth) {
        return FixtureEvents.event(transcript, marker, nth);
    }

    @Test
    void fakeRotateWithAndWithoutChecksum() throws Exception {
        assertThat(Events.fakeRotate(1, "mysql-bin.000001", 4, true))
                .isEqualTo(captured("gtid-mode.txt", "ROTATE(size=47) ts=0", 0));
        assertThat(Events.fakeRotate(1, "mysql-bin.000001", 4, false))
                .isEqualTo(captured("binlog-raw.txt", "ROTATE(size=43) ts=0", 0));
        assertThat(Events.fakeRotate(1, "mysql-bin.000002", 342, true))
                .isEqualTo(captured("pos-mode-mid.txt", "ROTATE(size=47) ts=0", 0));
    }

    @Test
    void heartbeatNamesTheFileAndPosition() throws Exception {
        assertThat(Events.heartbeat(1, "mysql-bin.000001", 1337, true))
                .isEqualTo(captured("gtid-mode.txt", "HEARTBEAT", 0));
        assertThat(Events.heartbeat(1, "mysql-bin.000002", 632, true))
                .isEqualTo(captured("gtid-reconnect.txt", "HEARTBEAT", 0));
    }

    @Test
    void artificialGtidListAtTheSkipPoint() throws Exception {
        assertThat(Events.artificialGtidList(1, 1576, GtidList.parse("0-1-6"), true))
                .isEqualTo(captured("gtid-reconnect.txt", "MARIA_GTID_LIST(size=43) ts=0", 0));
    }

    @Test
    void formatDescriptionRewrittenForMidFileStarts() throws Exception {
        byte[] onDisk = captured("gtid-mode.txt", "FORMAT_DESCRIPTION", 0);
        assertThat(EventChecksum.matches(onDisk)).isTrue();
        assertThat(LogEvent.checksumAlgorithm(onDisk)).isEqualTo(LogEvent.BINLOG_CHECKSUM_ALG_CRC32);
        assertThat(LogEvent.serverVersion(onDisk)).isEqualTo("10.11.19-MariaDB-0+deb12u1-log");
        // GTID mode, not from the file's start: created = 0, log_pos kept (gtid-reconnect).
        assertThat(Events.formatDescriptionForStream(onDisk, false, false))
                .isEqualTo(captured("gtid-reconnect.txt", "FORMAT_DESCRIPTION", 0));
        // From the start: unchanged.
        assertThat(Events.formatDescriptionForStream(onDisk, true, false)).isEqualTo(onDisk);
    }

    @Test
    void formatDescriptionForFilePositionMidFile() throws Exception {
        byte[] file2 = captured("gtid-reconnect.txt", "FORMAT_DESCRIPTION", 1);
        assertThat(Events.formatDescriptionForStream(file2, false, true))
                .isEqualTo(captured("pos-mode-mid.txt", "FORMAT_DESCRIPTION", 0));
    }

    @Test
    void inUseFlagIsClearedAndCrcStillMatches() throws Exception {
        byte[] fde = captured("gtid-mode.txt", "FORMAT_DESCRIPTION", 0);
        byte[] inUse = fde.clone();
        inUse[LogEvent.FLAGS_OFFSET] |= LogEvent.LOG_EVENT_BINLOG_IN_USE_F;
        assertThat(Events.formatDescriptionForStream(inUse, true, false)).isEqualTo(fde);
    }

    @Test
    void checksumStrippedFixesTheSize() throws Exception {
        byte[] xid = captured("gtid-mode.txt", "XID", 0);
        byte[] stripped = EventChecksum.strip(xid);
        assertThat(stripped.length).isEqualTo(xid.length - 4);
        assertThat(LogEvent.uint32(stripped, LogEvent.EVENT_LEN_OFFSET)).isEqualTo(stripped.length);
        xid[25] ^= 1;
        assertThat(EventChecksum.matches(xid)).isFalse();
    }

    @Test
    void groupBoundariesOfRealTransactions() throws Exception {
        byte[] ddlGtid = captured("gtid-mode.txt", "gtid=0-1-1 ", 0);
        assertThat(EventGroups.startsGroup(ddlGtid)).isTrue();
        assertThat(EventGroups.isStandalone(ddlGtid)).isTrue();
        byte[] dmlGtid = captured("gtid-mode.txt", "gtid=0-1-3 ", 0);
        assertThat(EventGroups.isStandalone(dmlGtid)).isFalse();
        assertThat(EventGroups.endsGroup(captured("gtid-mode.txt", "XID", 0), false, true)).isTrue();
        assertThat(EventGroups.endsGroup(captured("gtid-mode.txt", "TABLE_MAP", 0), false, true)).isFalse();
        assertThat(EventGroups.endsGroup(captured("gtid-mode.txt", "query=create database", 0), true, true)).isTrue();
    }

    /**
     * A QUERY_COMPRESSED_EVENT as MariaDB's binlog_buf_compress writes the statement: 0x80 | lenlen,
     * the length big-endian, a zlib stream; with a CRC32 trailer (not checked here).
     */
    private static byte[] compressedQuery(String statement) {
        byte[] sql = statement.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.util.zip.Deflater deflater = new java.util.zip.Deflater();
        deflater.setInput(sql);
        deflater.finish();
        byte[] zlib = new byte[sql.length + 64];
        int zlibLength = deflater.deflate(zlib);
        deflater.end();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(new byte[13]); // thread id, exec time, db_len 0, error code, status_vars_len 0
        body.write(0); // the empty db name's NUL
        body.write(0x80 | 1);
        body.write(sql.length);
        body.write(zlib, 0, zlibLength);
        int size = LogEvent.LOG_EVENT_HEADER_LEN + body.size() + 4;
        java.nio.ByteBuffer event = java.nio.ByteBuffer.allocate(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        event.putInt(0).put((byte) EventGroups.QUERY_COMPRESSED_EVENT).putInt(1).putInt(size).putInt(0)
                .putShort((short) 0).put(body.toByteArray()).putInt(0);
        return event.array();
    }

    @Test
    void aCompressedCommitOrXaCommitEndsItsGroupAndOtherCompressedStatementsDoNot() {
        assertThat(EventGroups.endsGroup(compressedQuery("XA COMMIT X'6b696e67627573',X'',1"), false, true)).isTrue();
        assertThat(EventGroups.endsGroup(compressedQuery("COMMIT"), false, true)).isTrue();
        assertThat(EventGroups.endsGroup(compressedQuery("INSERT INTO t VALUES (1), (2), (3)"), false, true))
                .isFalse();
        assertThat(EventGroups.endsGroup(compressedQuery("ROLLBACK TO SAVEPOINT s1"), false, true)).isFalse();
        assertThat(EventGroups.endsGroup(compressedQuery("CREATE TABLE t (id INT)"), true, true)).isTrue();
        byte[] broken = compressedQuery("COMMIT");
        broken[LogEvent.LOG_EVENT_HEADER_LEN + 16] ^= 0x55; // inside the zlib stream
        assertThat(EventGroups.endsGroup(broken, false, true)).isFalse();
    }

    @Test
    void nativePasswordMatchesTheKnownScheme() {
        byte[] scramble = "abcdefghij0123456789".getBytes();
        byte[] response = NativePassword.response(scramble, "secret");
        assertThat(response).hasSize(20);
        assertThat(NativePassword.verify(scramble, response, "secret")).isTrue();
        assertThat(NativePassword.verify(scramble, response, "Secret")).isFalse();
        assertThat(NativePassword.verify(scramble, new byte[0], "")).isTrue();
        assertThat(NativePassword.verify(scramble, new byte[0], "secret")).isFalse();
    }
}
