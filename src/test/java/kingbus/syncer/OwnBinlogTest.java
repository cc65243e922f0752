package kingbus.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kingbus.gtid.GtidList;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.Events;
import kingbus.protocol.binlog.LogEvent;
import kingbus.testing.FixtureEvents;
import org.junit.jupiter.api.Test;

/** Kingbus's own files, written from the real events of the gtid-mode capture (a MariaDB 10.11 mysql-bin.000001). */
class OwnBinlogTest {

    private static final long OWN_ID = 4242;

    private final List<byte[]> master = FixtureEvents.fileEvents("gtid-mode.txt");

    private record Placed(String file, long position, byte[] event) {
    }

    private final List<Placed> placed = new ArrayList<>();

    private OwnBinlog after(String newestHeld, String held) {
        return OwnBinlog.after(newestHeld, GtidList.parse(held), OWN_ID, (file, position, event, crc) -> {
            assertThat(crc).isTrue();
            placed.add(new Placed(file, position, event));
        });
    }

    private static int type(byte[] e) {
        return LogEvent.type(e);
    }

    @Test
    void theMastersEventsGoOnInTheNextFileWithTheirPositionsAndChecksumsMadeAgain() {
        OwnBinlog own = after("mysql-bin.000007", "0-1-0");
        for (byte[] event : master) {
            own.accept(event, true);
        }
        // The master's FDE (Kingbus's server id), a GTID_LIST of the state held, then every event but the master's
        // GTID_LIST and BINLOG_CHECKPOINT.
        assertThat(placed).allMatch(p -> p.file().equals("mysql-bin.000008"));
        assertThat(type(placed.get(0).event())).isEqualTo(LogEvent.FORMAT_DESCRIPTION_EVENT);
        assertThat(LogEvent.serverId(placed.get(0).event())).isEqualTo(OWN_ID);
        assertThat(type(placed.get(1).event())).isEqualTo(LogEvent.GTID_LIST_EVENT);
        assertThat(Events.readGtidList(placed.get(1).event())).isEqualTo(GtidList.parse("0-1-0"));
        List<byte[]> kept = master.stream().filter(e -> type(e) != LogEvent.GTID_LIST_EVENT
                && type(e) != LogEvent.BINLOG_CHECKPOINT_EVENT && type(e) != LogEvent.FORMAT_DESCRIPTION_EVENT).toList();
        assertThat(placed).hasSize(kept.size() + 2);
        long position = LogEvent.BIN_LOG_HEADER_SIZE;
        for (int i = 0; i < placed.size(); i++) {
            byte[] event = placed.get(i).event();
            assertThat(placed.get(i).position()).isEqualTo(position);
            assertThat(LogEvent.logPos(event)).isEqualTo(position + event.length);
            assertThat(EventChecksum.matches(event)).as("CRC32 of event " + i).isTrue();
            position += event.length;
            if (i >= 2) {
                byte[] original = kept.get(i - 2);
                // Byte for byte the master's, but for log_pos and the checksum.
                assertThat(Arrays.equals(event, 0, LogEvent.LOG_POS_OFFSET, original, 0, LogEvent.LOG_POS_OFFSET))
                        .isTrue();
                assertThat(Arrays.equals(event, LogEvent.FLAGS_OFFSET, event.length - 4, original,
                        LogEvent.FLAGS_OFFSET, original.length - 4)).isTrue();
            }
        }
    }

    @Test
    void aTransactionAlreadyHeldIsRefused() {
        OwnBinlog own = after("mysql-bin.000007", "0-1-1000");
        own.accept(master.get(0), true);
        byte[] gtid = master.stream().filter(e -> type(e) == LogEvent.GTID_EVENT).findFirst().orElseThrow();
        assertThatThrownBy(() -> own.accept(gtid, true)).hasMessageContaining("already holds 0-1-1000");
    }

    @Test
    void aRotateOfTheMasterEndsTheOwnFileAndItsNextFileOpensTheNextOwnOne() {
        OwnBinlog own = after("mysql-bin.000009", "0-1-0");
        own.accept(master.get(0), true);
        byte[] rotate = Events.rotate(1, 1_700_000_000L, 999, "mysql-bin.000002", true);
        own.accept(rotate, true);
        own.accept(master.get(0), true);
        assertThat(placed).extracting(Placed::file).containsExactly("mysql-bin.000010", "mysql-bin.000010",
                "mysql-bin.000010", "mysql-bin.000011", "mysql-bin.000011");
        byte[] ownRotate = placed.get(2).event();
        assertThat(LogEvent.rotateFile(ownRotate, true)).isEqualTo("mysql-bin.000011");
        assertThat(LogEvent.rotatePosition(ownRotate)).isEqualTo(4);
        assertThat(LogEvent.serverId(ownRotate)).isEqualTo(OWN_ID);
        assertThat(placed.get(3).position()).isEqualTo(4);
    }

    @Test
    void aReconnectGoesOnInTheSameOwnFileUnlessTheFormatChanged() {
        after("mysql-bin.000001", "0-1-0").accept(master.get(0), true);
        byte[] ownFde = placed.get(0).event();
        placed.clear();
        OwnBinlog resumed = OwnBinlog.resume("mysql-bin.000002", 500, false, ownFde, GtidList.parse("0-1-0"), OWN_ID,
                (file, position, event, crc) -> placed.add(new Placed(file, position, event)));
        resumed.accept(master.get(0), true);
        assertThat(placed).isEmpty();
        assertThat(OwnBinlog.isOwn(ownFde, OWN_ID)).isTrue();
        assertThat(OwnBinlog.isOwn(master.get(0), OWN_ID)).isFalse();

        byte[] otherVersion = master.get(0).clone();
        otherVersion[LogEvent.FDE_SERVER_VERSION_OFFSET + 1] ^= 1; // another server version
        EventChecksum.recompute(otherVersion);
        resumed.accept(otherVersion, true);
        assertThat(placed).extracting(Placed::file).containsExactly("mysql-bin.000002", "mysql-bin.000003",
                "mysql-bin.000003");
        assertThat(placed.get(0).position()).isEqualTo(500);
        assertThat(LogEvent.rotateFile(placed.get(0).event(), true)).isEqualTo("mysql-bin.000003");
    }

    @Test
    void nextFileNames() {
        assertThat(OwnBinlog.nextFileName("mysql-bin.000009")).isEqualTo("mysql-bin.000010");
        assertThat(OwnBinlog.nextFileName("mysql-bin.999999")).isEqualTo("mysql-bin.1000000");
        assertThat(OwnBinlog.nextFileName("db1.log.000001")).isEqualTo("db1.log.000002");
    }
}
