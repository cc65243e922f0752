package kingbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import kingbus.protocol.codec.PacketIO;
import kingbus.protocol.codec.PacketTooLargeException;
import kingbus.protocol.codec.PayloadReader;
import kingbus.protocol.codec.PayloadWriter;
import org.junit.jupiter.api.Test;

class PacketIOTest {

    private static final int MAX = PacketIO.MAX_PACKET_LENGTH;

    private static byte[] framed(int... payloadLengths) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PacketIO io = new PacketIO(new ByteArrayInputStream(new byte[0]), out, Integer.MAX_VALUE);
        for (int length : payloadLengths) {
            io.write(new byte[length]);
        }
        io.flush();
        return out.toByteArray();
    }

    @Test
    void smallPayloadIsOnePacketWithSequenceId() throws Exception {
        byte[] wire = framed(5, 3);
        assertThat(Arrays.copyOfRange(wire, 0, 4)).containsExactly(5, 0, 0, 0);
        assertThat(Arrays.copyOfRange(wire, 9, 13)).containsExactly(3, 0, 0, 1);
    }

    @Test
    void payloadOfExactlyMaxEndsWithAnEmptyPacket() throws Exception {
        byte[] wire = framed(MAX);
        assertThat(wire.length).isEqualTo(4 + MAX + 4);
        assertThat(Arrays.copyOfRange(wire, 0, 4)).containsExactly(0xFF, 0xFF, 0xFF, 0);
        assertThat(Arrays.copyOfRange(wire, 4 + MAX, wire.length)).containsExactly(0, 0, 0, 1);
    }

    @Test
    void largerPayloadIsSplitAndJoinedBack() throws Exception {
        byte[] payload = new byte[2 * MAX + 10];
        new Random(7).nextBytes(payload);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PacketIO writer = new PacketIO(new ByteArrayInputStream(new byte[0]), out, Integer.MAX_VALUE);
        writer.write(payload);
        writer.flush();
        byte[] wire = out.toByteArray();
        assertThat(wire.length).isEqualTo(payload.length + 3 * 4);
        assertThat(wire[4 + MAX + 3]).isEqualTo((byte) 1);
        assertThat(wire[2 * (4 + MAX) + 3]).isEqualTo((byte) 2);
        PacketIO reader = new PacketIO(new ByteArrayInputStream(wire), new ByteArrayOutputStream(), Integer.MAX_VALUE);
        assertThat(reader.read()).isEqualTo(payload);
    }

    @Test
    void prefixedWriteMatchesJoinedWrite() throws Exception {
        byte[] body = new byte[MAX - 1];
        new Random(3).nextBytes(body);
        byte[] joined = new byte[body.length + 1];
        System.arraycopy(body, 0, joined, 1, body.length);
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        PacketIO io = new PacketIO(new ByteArrayInputStream(new byte[0]), a, Integer.MAX_VALUE);
        io.write(0, body, 0, body.length);
        io.flush();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PacketIO io2 = new PacketIO(new ByteArrayInputStream(new byte[0]), b, Integer.MAX_VALUE);
        io2.write(joined);
        io2.flush();
        assertThat(a.toByteArray()).isEqualTo(b.toByteArray());
        assertThat(a.size()).isEqualTo(4 + MAX + 4); // exactly 2^24-1 with the OK byte: trailing empty packet
    }

    @Test
    void semiSyncPrefixedWritesMatchJoinedWritesAtEveryBoundary() throws Exception {
        byte[] prefix = {0, (byte) 0xEF, 1};
        for (int bodyLength : new int[] {0, 5, MAX - 3, MAX - 2, MAX, 2 * MAX - 3, 2 * MAX + 7}) {
            byte[] body = new byte[bodyLength];
            new Random(bodyLength).nextBytes(body);
            byte[] joined = new byte[prefix.length + body.length];
            System.arraycopy(prefix, 0, joined, 0, prefix.length);
            System.arraycopy(body, 0, joined, prefix.length, body.length);
            ByteArrayOutputStream a = new ByteArrayOutputStream();
            PacketIO io = new PacketIO(new ByteArrayInputStream(new byte[0]), a, Integer.MAX_VALUE);
            io.write(prefix, body, 0, body.length);
            io.flush();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            PacketIO io2 = new PacketIO(new ByteArrayInputStream(new byte[0]), b, Integer.MAX_VALUE);
            io2.write(joined);
            io2.flush();
            assertThat(a.toByteArray()).as("body of %d bytes", bodyLength).isEqualTo(b.toByteArray());
        }
    }

    @Test
    void sequenceCanBeRestartedAndAnInputOnlyFramerKeepsItsOwnCount() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] incoming = {1, 0, 0, 0, 42, 1, 0, 0, 0, 43};
        PacketIO io = new PacketIO(new ByteArrayInputStream(incoming), out, Integer.MAX_VALUE);
        io.write(new byte[1]);
        io.write(new byte[1]);
        io.sequence(1);
        PacketIO reader = io.inputOnly(16);
        assertThat(reader.read()).containsExactly(42);
        assertThat(reader.read()).containsExactly(43);
        io.write(new byte[1]);
        io.flush();
        byte[] wire = out.toByteArray();
        assertThat(new int[] {wire[3], wire[8], wire[13]}).containsExactly(0, 1, 1);
    }

    @Test
    void sequenceIdsWrapAt256() throws Exception {
        int[] lengths = new int[300];
        Arrays.fill(lengths, 1);
        byte[] wire = framed(lengths);
        assertThat(wire[255 * 5 + 3]).isEqualTo((byte) 255);
        assertThat(wire[256 * 5 + 3]).isEqualTo((byte) 0);
        assertThat(wire[299 * 5 + 3]).isEqualTo((byte) 43);
    }

    @Test
    void hugeLengthPrefixIsRefusedWithoutReadingIt() {
        byte[] wire = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 1, 2, 3};
        PacketIO io = new PacketIO(new ByteArrayInputStream(wire), new ByteArrayOutputStream(), 1024);
        assertThatThrownBy(io::read).isInstanceOf(PacketTooLargeException.class).hasMessageContaining("16777215");
    }

    @Test
    void lengthEncodedIntegersAndStringsRoundTrip() {
        long[] values = {0, 250, 251, 0xFFFF, 0x10000, 0xFFFFFF, 0x1000000, Long.MAX_VALUE};
        PayloadWriter writer = new PayloadWriter();
        for (long value : values) {
            writer.intLenenc(value);
        }
        writer.stringLenenc("mysql-bin.000001").stringNul("repl").int4(0xFFFF_FFFFL).int8(-1);
        PayloadReader reader = new PayloadReader(writer.toByteArray());
        for (long value : values) {
            assertThat(reader.intLenenc()).isEqualTo(value);
        }
        assertThat(reader.stringLenenc()).isEqualTo("mysql-bin.000001");
        assertThat(reader.stringNul()).isEqualTo("repl");
        assertThat(reader.int4()).isEqualTo(0xFFFF_FFFFL);
        assertThat(reader.int8()).isEqualTo(-1);
        assertThat(reader.hasRemaining()).isFalse();
        assertThat(new PayloadWriter().intLenenc(251).toByteArray()).containsExactly(0xFC, 251, 0);
        assertThat(new PayloadWriter().intLenenc(0x1000000).toByteArray())
                .containsExactly(0xFE, 0, 0, 0, 1, 0, 0, 0, 0);
    }
}
