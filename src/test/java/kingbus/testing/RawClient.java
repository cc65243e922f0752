package kingbus.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kingbus.protocol.codec.PacketIO;
import kingbus.protocol.codec.PayloadReader;
import kingbus.protocol.codec.PayloadWriter;
import kingbus.protocol.packet.Capabilities;
import kingbus.protocol.packet.Commands;
import kingbus.protocol.packet.NativePassword;

/** A minimal MySQL client over a raw socket, for driving Kingbus's MySQL listener in tests. Not thread-safe. */
public final class RawClient implements AutoCloseable {

    /** A server answer: OK, ERR (code + message), or a result set (column names + text rows). */
    public record Reply(int header, int errorCode, String sqlState, String message, List<String> columns,
            List<List<String>> rows) {
        public boolean isOk() {
            return header == 0x00;
        }

        public boolean isError() {
            return header == 0xFF;
        }

        public String value() {
            return rows.get(0).get(0);
        }
    }

    public final Socket socket;
    public final PacketIO io;
    public final boolean deprecateEof;
    public String serverVersion;

    public RawClient(int port, boolean deprecateEof) throws IOException {
        this(port, deprecateEof, 0);
    }

    /**
     * A client whose socket receive buffer is {@code receiveBuffer} bytes (0: the system's), set
     * before connecting so the TCP window stays that small: a client that stops reading then holds
     * the server's writes back after a few MB.
     */
    public RawClient(int port, boolean deprecateEof, int receiveBuffer) throws IOException {
        this.socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        this.socket.setSoTimeout(10_000);
        this.io = new PacketIO(socket.getInputStream(), socket.getOutputStream(), Integer.MAX_VALUE);
        this.deprecateEof = deprecateEof;
    }

    /** Reads the greeting and logs in; returns the server's answer (OK or ERR). */
    public Reply login(String user, String password) throws IOException {
        return login(user, password, "mysql_native_password");
    }

    public Reply login(String user, String password, String plugin) throws IOException {
        byte[] greeting = io.read();
        PayloadReader in = new PayloadReader(greeting);
        in.int1(); // protocol 10
        serverVersion = in.stringNul();
        in.int4(); // connection id
        byte[] scramble1 = in.bytes(8);
        in.int1();
        in.int2();
        in.int1();
        in.int2();
        in.int2();
        int authLength = in.int1();
        in.skip(10);
        byte[] scramble2 = in.bytes(Math.max(13, authLength - 8) - 1);
        byte[] scramble = new byte[20];
        System.arraycopy(scramble1, 0, scramble, 0, 8);
        System.arraycopy(scramble2, 0, scramble, 8, 12);
        int caps = Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_PROTOCOL_41
                | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH
                | Capabilities.CLIENT_CONNECT_ATTRS | Capabilities.CLIENT_CONNECT_WITH_DB
                | (deprecateEof ? Capabilities.CLIENT_DEPRECATE_EOF : 0);
        boolean native_ = plugin.equals("mysql_native_password");
        byte[] auth = native_ ? NativePassword.response(scramble, password) : new byte[] {1, 2, 3};
        PayloadWriter out = new PayloadWriter().int4(caps).int4(1 << 24).int1(8).zeros(23).stringNul(user)
                .int1(auth.length).bytes(auth).stringNul("").stringNul(plugin);
        PayloadWriter attrs = new PayloadWriter().stringLenenc("_client_name").stringLenenc("rawclient")
                .stringLenenc("_os").stringLenenc("test");
        out.intLenenc(attrs.size()).bytes(attrs.toByteArray());
        io.write(out.toByteArray());
        io.flush();
        byte[] answer = io.read();
        if ((answer[0] & 0xFF) == 0xFE && !native_) {
            PayloadReader sw = new PayloadReader(answer, 1);
            String switchedTo = sw.stringNul();
            byte[] newScramble = Arrays.copyOf(sw.bytes(20), 20);
            if (!switchedTo.equals("mysql_native_password")) {
                throw new IOException("switched to " + switchedTo);
            }
            io.write(NativePassword.response(newScramble, password));
            io.flush();
            answer = io.read();
        }
        return parseSimple(answer);
    }

    public Reply query(String sql) throws IOException {
        io.resetSequence();
        io.write(new PayloadWriter().int1(Commands.COM_QUERY).stringEof(sql).toByteArray());
        io.flush();
        return readReply();
    }

    public Reply command(int command, byte[] body) throws IOException {
        io.resetSequence();
        io.write(new PayloadWriter().int1(command).bytes(body).toByteArray());
        io.flush();
        return readReply();
    }

    public void registerSlave(long serverId) throws IOException {
        byte[] body = new PayloadWriter().int4(serverId).int1(9).bytes("127.0.0.1".getBytes()).int1(0).int1(0)
                .int2(3308).int4(0).int4(0).toByteArray();
        Reply reply = command(Commands.COM_REGISTER_SLAVE, body);
        if (!reply.isOk()) {
            throw new IOException("REGISTER_SLAVE: " + reply);
        }
    }

    /** Sends COM_BINLOG_DUMP; read the stream with {@link #readStreamPacket()}. */
    public void dump(long position, int flags, long serverId, String file) throws IOException {
        io.resetSequence();
        io.write(new PayloadWriter().int1(Commands.COM_BINLOG_DUMP).int4(position).int2(flags).int4(serverId)
                .stringEof(file).toByteArray());
        io.flush();
    }

    /** One packet of a dump stream: 0x00 + event, EOF (0xFE) or ERR (0xFF). */
    public byte[] readStreamPacket() throws IOException {
        return io.read();
    }

    /** The next event of a dump stream (without the OK byte); fails on anything else. */
    public byte[] readEvent() throws IOException {
        byte[] packet = io.read();
        if (packet[0] != 0) {
            throw new IOException("not an event: " + parseSimple(packet));
        }
        return Arrays.copyOfRange(packet, 1, packet.length);
    }

    private Reply readReply() throws IOException {
        byte[] first = io.read();
        int header = first[0] & 0xFF;
        if (header == 0x00 || header == 0xFF || (header == 0xFE && first.length < 9)) {
            return parseSimple(first);
        }
        PayloadReader count = new PayloadReader(first);
        int columns = (int) count.intLenenc();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < columns; i++) {
            PayloadReader def = new PayloadReader(io.read());
            def.stringLenenc();
            def.stringLenenc();
            def.stringLenenc();
            def.stringLenenc();
            names.add(def.stringLenenc());
        }
        if (!deprecateEof) {
            byte[] eof = io.read();
            if ((eof[0] & 0xFF) != 0xFE || eof.length != 5) {
                throw new IOException("expected an EOF after the column definitions");
            }
        }
        List<List<String>> rows = new ArrayList<>();
        while (true) {
            byte[] row = io.read();
            if ((row[0] & 0xFF) == 0xFE && row.length < 0xFFFFFF) {
                if (deprecateEof && row.length == 5) {
                    throw new IOException("an EOF packet where an OK with the 0xFE header belongs");
                }
                if (!deprecateEof && row.length != 5) {
                    throw new IOException("an OK where an EOF packet belongs");
                }
                return new Reply(0xFE, 0, null, null, names, rows);
            }
            PayloadReader in = new PayloadReader(row);
            List<String> values = new ArrayList<>();
            for (int i = 0; i < columns; i++) {
                if ((row[in.position()] & 0xFF) == 0xFB) {
                    in.int1();
                    values.add(null);
                } else {
                    values.add(in.stringLenenc());
                }
            }
            rows.add(values);
        }
    }

    public static Reply parseSimple(byte[] packet) {
        int header = packet[0] & 0xFF;
        if (header == 0xFF) {
            PayloadReader in = new PayloadReader(packet, 1);
            int code = in.int2();
            in.int1(); // '#'
            String state = new String(in.bytes(5), StandardCharsets.US_ASCII);
            return new Reply(header, code, state, in.stringEof(), List.of(), List.of());
        }
        return new Reply(header, 0, null, null, List.of(), List.of());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
