package kingbus.protocol.binlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import kingbus.testing.FixtureEvents;
import org.junit.jupiter.api.Test;

/**
 * SHOW BINLOG EVENTS' Event_type and Info columns for captured MariaDB 10.11 events, and for the layouts of XA and
 * group-commit GTIDs, with the texts a MariaDB 10.11 master showed for them (MariadbCompatibilityIT compares whole
 * listings with a live master).
 */
class EventInfoTest {

    private static String info(String marker) {
        byte[] event = FixtureEvents.event("gtid-mode.txt", marker, 0);
        return new String(EventInfo.info(event, true), StandardCharsets.ISO_8859_1);
    }

    @Test
    void capturedEventsReadAsOnTheMaster() {
        assertThat(info("FORMAT_DESCRIPTION")).isEqualTo("Server ver: 10.11.19-MariaDB-0+deb12u1-log, Binlog ver: 4");
        assertThat(info("MARIA_GTID_LIST")).isEqualTo("[]");
        assertThat(info("MARIA_BINLOG_CHECKPOINT")).isEqualTo("mysql-bin.000001");
        assertThat(info("gtid=0-1-1 ")).isEqualTo("GTID 0-1-1");
        assertThat(info("query=create database probe")).as("LOG_EVENT_SUPPRESS_USE_F: no use `probe`")
                .isEqualTo("create database probe");
        assertThat(info("gtid=0-1-3 ")).isEqualTo("BEGIN GTID 0-1-3");
        assertThat(info("MARIA_ANNOTATE_ROWS")).isEqualTo("insert into probe.t(v) values ('a'),('b')");
        assertThat(info("TABLE_MAP")).isEqualTo("table_id: 18 (probe.t)");
        assertThat(info("WRITE_ROWS_V1")).isEqualTo("table_id: 18 flags: STMT_END_F");
        assertThat(info("xid=4")).isEqualTo("COMMIT /* xid=4 */");
        assertThat(EventInfo.typeName(LogEvent.GTID_EVENT)).isEqualTo("Gtid");
        assertThat(EventInfo.typeName(23)).isEqualTo("Write_rows_v1");
        assertThat(EventInfo.typeName(25)).isEqualTo("Delete_rows_v1");
        assertThat(EventInfo.typeName(31)).isEqualTo("Update_rows");
        assertThat(EventInfo.typeName(166)).isEqualTo("Write_rows_compressed_v1");
        assertThat(EventInfo.typeName(171)).isEqualTo("Delete_rows_compressed");
        assertThat(EventInfo.typeName(250)).isEqualTo("Unknown");
    }

    @Test
    void xaAndGroupCommitGtidsAndAnXaPrepare() {
        byte[] xid = "kingbus-xa1".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer xa = body(LogEvent.GTID_EVENT, 8 + 4 + 1 + 4 + 2 + xid.length);
        xa.putLong(13).putInt(0).put((byte) EventInfo.FL_PREPARED_XA).putInt(1).put((byte) xid.length).put((byte) 0)
                .put(xid);
        assertThat(text(xa, false)).isEqualTo("XA START X'6b696e676275732d786131',X'',1 GTID 0-1-13");

        ByteBuffer grouped = body(LogEvent.GTID_EVENT, 8 + 4 + 1 + 8);
        grouped.putLong(7).putInt(2).put((byte) EventInfo.FL_GROUP_COMMIT_ID).putLong(41);
        assertThat(text(grouped, false)).isEqualTo("BEGIN GTID 2-1-7 cid=41");

        byte[] gtrid = "kb2".getBytes(StandardCharsets.US_ASCII);
        byte[] bqual = "bq".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer prepare = body(LogEvent.XA_PREPARE_LOG_EVENT, 1 + 4 + 4 + 4 + gtrid.length + bqual.length);
        prepare.put((byte) 0).putInt(7).putInt(gtrid.length).putInt(bqual.length).put(gtrid).put(bqual);
        assertThat(text(prepare, false)).isEqualTo("XA PREPARE X'6b6232',X'6271',7");
    }

    /** An event of {@code type} from server 1 with a body of {@code length} bytes, positioned at the body. */
    private static ByteBuffer body(int type, int length) {
        byte[] event = new byte[LogEvent.LOG_EVENT_HEADER_LEN + length];
        ByteBuffer buffer = ByteBuffer.wrap(event).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(LogEvent.EVENT_TYPE_OFFSET, (byte) type).putInt(LogEvent.SERVER_ID_OFFSET, 1)
                .putInt(LogEvent.EVENT_LEN_OFFSET, event.length);
        buffer.position(LogEvent.LOG_EVENT_HEADER_LEN);
        return buffer;
    }

    private static String text(ByteBuffer event, boolean checksum) {
        return new String(EventInfo.info(event.array(), checksum), StandardCharsets.ISO_8859_1);
    }
}
