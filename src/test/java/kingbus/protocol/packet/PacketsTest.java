package kingbus.protocol.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import kingbus.protocol.codec.MalformedPacketException;
import kingbus.protocol.codec.PayloadReader;
import kingbus.protocol.codec.PayloadWriter;
import org.junit.jupiter.api.Test;

class PacketsTest {

    private static byte[] handshakeResponse(int caps, boolean attrs, boolean truncateAttrs) {
        PayloadWriter out = new PayloadWriter().int4(caps).int4(1 << 24).int1(8).zeros(23).stringNul("repl")
                .int1(20).bytes(new byte[20]).stringNul("mysql_native_password");
        if (attrs) {
            PayloadWriter kv = new PayloadWriter().stringLenenc("_os").stringLenenc("debian-linux-gnu")
                    .stringLenenc("_client_name").stringLenenc("libmysql");
            out.intLenenc(kv.size() + (truncateAttrs ? 10 : 0)).bytes(kv.toByteArray());
        }
        return out.toByteArray();
    }

    @Test
    void parsesAReplicaHandshakeResponseWithAttributes() {
        int caps = 0x8038a205; // what the MariaDB 10.11 replica sent in gtid-mode.txt
        HandshakeResponse response = HandshakeResponse.parse(handshakeResponse(caps, true, false));
        assertThat(response.user()).isEqualTo("repl");
        assertThat(response.authResponse()).hasSize(20);
        assertThat(response.authPlugin()).isEqualTo("mysql_native_password");
        assertThat(response.deprecateEof()).isFalse();
        assertThatThrownBy(() -> HandshakeResponse.parse(handshakeResponse(caps, true, true)))
                .isInstanceOf(MalformedPacketException.class);
        assertThatThrownBy(() -> HandshakeResponse.parse(new byte[] {5, 0}))
                .isInstanceOf(MalformedPacketException.class);
    }

    @Test
    void errorPacketCarriesCodeAndSqlState() {
        byte[] err = Packets.error(ErrorCode.ER_MASTER_FATAL_ERROR_READING_BINLOG, "no such GTID 0-1-9");
        PayloadReader in = new PayloadReader(err);
        assertThat(in.int1()).isEqualTo(0xFF);
        assertThat(in.int2()).isEqualTo(1236);
        assertThat(in.int1()).isEqualTo('#');
        assertThat(new String(in.bytes(5))).isEqualTo("HY000");
        assertThat(in.stringEof()).isEqualTo("no such GTID 0-1-9");
    }

    @Test
    void resultSetEndsWithEofOrOkDependingOnDeprecateEof() {
        ResultSetWriter rs = ResultSetWriter.of("Variable_name", "Value").row("server_id", "1").row("x", null);
        List<byte[]> classic = rs.packets(false);
        assertThat(classic).hasSize(1 + 2 + 1 + 2 + 1);
        assertThat(classic.get(3)).containsExactly(0xFE, 0, 0, 2, 0);
        assertThat(classic.get(6)).containsExactly(0xFE, 0, 0, 2, 0);
        assertThat(classic.get(5)).containsExactly(1, 'x', 0xFB);
        List<byte[]> modern = rs.packets(true);
        assertThat(modern).hasSize(1 + 2 + 2 + 1);
        assertThat(modern.get(5)).containsExactly(0xFE, 0, 0, 2, 0, 0, 0);
    }

    @Test
    void registerSlaveAndBinlogDumpParse() {
        byte[] register = new PayloadWriter().int1(Commands.COM_REGISTER_SLAVE).int4(2).int1(9)
                .bytes("127.0.0.1".getBytes()).int1(0).int1(0).int2(3308).int4(0).int4(0).toByteArray();
        assertThat(RegisterSlaveCommand.parse(register)).isEqualTo(new RegisterSlaveCommand(2, "127.0.0.1", "", 3308));
        byte[] dump = new PayloadWriter().int1(Commands.COM_BINLOG_DUMP).int4(1576).int2(3).int4(0)
                .stringEof("mysql-bin.000001").toByteArray();
        BinlogDumpCommand command = BinlogDumpCommand.parse(dump);
        assertThat(command).isEqualTo(new BinlogDumpCommand(1576, 3, 0, "mysql-bin.000001"));
        assertThat(command.nonBlocking()).isTrue();
        assertThat(command.sendAnnotateRows()).isTrue();
    }

    @Test
    void semiSyncAcksAreReadAndAnythingElseIsMalformed() {
        // What MariaDB's Repl_semi_sync_slave::slave_reply writes: magic, int<8> position, file name.
        byte[] ack = new PayloadWriter().int1(SemiSync.K_PACKET_MAGIC_NUM).int8(123456)
                .bytes("mysql-bin.000007".getBytes(java.nio.charset.StandardCharsets.UTF_8)).toByteArray();
        assertThat(SemiSync.parseAck(ack)).isEqualTo(new SemiSync.Ack("mysql-bin.000007", 123456));
        byte[] withNul = java.util.Arrays.copyOf(ack, ack.length + 1);
        assertThat(SemiSync.parseAck(withNul).file()).isEqualTo("mysql-bin.000007");
        assertThatThrownBy(() -> SemiSync.parseAck(new byte[] {0x03, 'S', 'E', 'L'}))
                .isInstanceOf(MalformedPacketException.class);
        assertThatThrownBy(() -> SemiSync.parseAck(new PayloadWriter().int1(0xEF).int8(123).toByteArray()))
                .isInstanceOf(MalformedPacketException.class);
        assertThat(SemiSync.eventPrefix(true)).containsExactly(0x00, 0xEF, 0x01);
        assertThat(SemiSync.eventPrefix(false)).containsExactly(0x00, 0xEF, 0x00);
    }
}
