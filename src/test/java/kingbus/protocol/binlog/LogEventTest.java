package kingbus.protocol.binlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kingbus.testing.FixtureEvents;
import org.junit.jupiter.api.Test;

/** Header fields, checksums and group rules on real MariaDB 10.11 events from the captures. */
class LogEventTest {

    @Test
    void headerFieldsOfACapturedGtidEvent() {
        byte[] gtid = FixtureEvents.event("gtid-mode.txt", "gtid=0-1-3 ", 0);
        assertThat(LogEvent.type(gtid)).isEqualTo(LogEvent.GTID_EVENT);
        assertThat(LogEvent.serverId(gtid)).isEqualTo(1);
        assertThat(LogEvent.eventSize(gtid)).isEqualTo(42);
        assertThat(LogEvent.logPos(gtid)).isEqualTo(700);
        assertThat(LogEvent.flags(gtid)).isEqualTo(0x08); // LOG_EVENT_THREAD_SPECIFIC_F
        assertThat(LogEvent.gtidDomain(gtid)).isZero();
        assertThat(LogEvent.gtidSequence(gtid)).isEqualTo(3);
        assertThat(LogEvent.isArtificial(gtid)).isFalse();
        byte[] rotate = FixtureEvents.event("gtid-reconnect.txt", "ROTATE(size=47) ts=1795497014", 0);
        assertThat(LogEvent.rotatePosition(rotate)).isEqualTo(4);
        assertThat(LogEvent.rotateFile(rotate, true)).isEqualTo("mysql-bin.000002");
        assertThat(LogEvent.isArtificial(FixtureEvents.event("gtid-mode.txt", "ROTATE", 0))).isTrue();
    }

    @Test
    void aFileStartSentAgainIsTheSameFileButAnotherServersOrAResetOneIsNot() {
        byte[] fde = FixtureEvents.event("gtid-reconnect.txt", "FORMAT_DESCRIPTION", 0);
        byte[] resent = fde.clone(); // what a master changes when it sends the file's start again
        resent[LogEvent.FDE_CREATED_OFFSET] = 7;
        resent[LogEvent.FLAGS_OFFSET] ^= LogEvent.LOG_EVENT_BINLOG_IN_USE_F;
        resent[LogEvent.LOG_POS_OFFSET] = 0;
        EventChecksum.recompute(resent);
        assertThat(LogEvent.sameFileStart(fde, resent)).isTrue();

        byte[] otherServer = fde.clone();
        otherServer[LogEvent.SERVER_ID_OFFSET] = 2;
        assertThat(LogEvent.sameFileStart(fde, otherServer)).isFalse();
        byte[] reset = fde.clone(); // RESET MASTER: the same name begun anew, a second later
        reset[LogEvent.TIMESTAMP_OFFSET] += 1;
        assertThat(LogEvent.sameFileStart(fde, reset)).isFalse();
        byte[] upgraded = fde.clone();
        upgraded[LogEvent.FDE_SERVER_VERSION_OFFSET + 3] = '2';
        assertThat(LogEvent.sameFileStart(fde, upgraded)).isFalse();
        // The second file of the same capture: same server, another second.
        assertThat(LogEvent.sameFileStart(fde, FixtureEvents.event("gtid-reconnect.txt", "FORMAT_DESCRIPTION", 1)))
                .isFalse();
    }

    @Test
    void everyCapturedCrc32EventVerifies() {
        List<byte[]> events = FixtureEvents.fileEvents("gtid-reconnect.txt");
        assertThat(events).hasSizeGreaterThan(15);
        for (byte[] event : events) {
            assertThat(EventChecksum.matches(event)).as("type %d at %d", LogEvent.type(event), LogEvent.logPos(event))
                    .isTrue();
        }
        // the first fake ROTATE of binlog-raw has no checksum: its last 4 bytes are part of the name
        assertThat(EventChecksum.matches(FixtureEvents.event("binlog-raw.txt", "ROTATE(size=43)", 0))).isFalse();
    }

    /**
     * The choice for a replica that never set {@code @master_binlog_checksum}: MariaDB refuses it
     * with error 1236 ("Slave can not handle replication events with the checksum that master is
     * configured to log", sql_repl.cc send_format_descriptor_event); Kingbus follows DESIGN.md fact 7
     * instead and strips the CRC32, with an FDE that says OFF so parsers expect none.
     */
    @Test
    void checksumUnawareReplicaGetsEventsWithoutCrcAndAnFdeSayingOff() {
        byte[] fde = FixtureEvents.event("gtid-mode.txt", "FORMAT_DESCRIPTION", 0);
        byte[] plain = Events.withoutChecksum(fde);
        assertThat(plain).hasSize(fde.length - LogEvent.BINLOG_CHECKSUM_LEN);
        assertThat(LogEvent.eventSize(plain)).isEqualTo(plain.length);
        assertThat(plain[plain.length - 1]).isEqualTo((byte) LogEvent.BINLOG_CHECKSUM_ALG_OFF);
        assertThat(LogEvent.logPos(plain)).isEqualTo(LogEvent.logPos(fde));
        byte[] xid = FixtureEvents.event("gtid-mode.txt", "XID", 0);
        assertThat(Events.withoutChecksum(xid)).hasSize(xid.length - 4).startsWith(java.util.Arrays.copyOf(
                xid, LogEvent.EVENT_LEN_OFFSET));
    }

    @Test
    void fdeWithChecksumOffStillGetsItsOwnCrcRecomputed() {
        // An FDE of a binlog_checksum=NONE file keeps its CRC32 trailer (FDEs are always checksummed).
        byte[] fde = FixtureEvents.event("gtid-mode.txt", "FORMAT_DESCRIPTION", 0).clone();
        fde[fde.length - 5] = (byte) LogEvent.BINLOG_CHECKSUM_ALG_OFF;
        EventChecksum.recompute(fde);
        assertThat(LogEvent.checksumAlgorithm(fde)).isEqualTo(LogEvent.BINLOG_CHECKSUM_ALG_OFF);
        byte[] sent = Events.formatDescriptionForStream(fde, false, true);
        assertThat(EventChecksum.matches(sent)).isTrue();
        assertThat(LogEvent.logPos(sent)).isZero();
        assertThat(LogEvent.uint32(sent, LogEvent.FDE_CREATED_OFFSET)).isZero();
    }

    @Test
    void rollbackToSavepointDoesNotEndAGroup() {
        assertThat(EventGroups.isCommitOrRollback("COMMIT")).isTrue();
        assertThat(EventGroups.isCommitOrRollback("ROLLBACK")).isTrue();
        assertThat(EventGroups.isCommitOrRollback("XA COMMIT X'31'")).isTrue();
        assertThat(EventGroups.isCommitOrRollback("ROLLBACK TO `s1`")).isFalse();
        assertThat(EventGroups.isCommitOrRollback("SAVEPOINT `s1`")).isFalse();
        assertThat(LogEvent.isPartOfGroup(LogEvent.TABLE_MAP_EVENT)).isTrue();
        assertThat(LogEvent.isPartOfGroup(24)).isTrue(); // UPDATE_ROWS_EVENT_V1
        assertThat(LogEvent.isPartOfGroup(LogEvent.QUERY_EVENT)).isFalse();
        assertThat(LogEvent.isPartOfGroup(LogEvent.HEARTBEAT_LOG_EVENT)).isFalse();
    }
}
