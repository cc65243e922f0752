package kingbus.testing;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import kingbus.protocol.codec.PayloadWriter;
import kingbus.protocol.packet.Commands;

/**
 * Sends malformed and out-of-order MySQL protocol traffic to a listener, one connection per case,
 * from a seeded {@link Random} so a failing run can be replayed. Each case ends with this side
 * shutting its output and reading until the server closes; a server that neither answers nor
 * closes within the read timeout fails the run. Not thread-safe.
 */
public final class ProtocolFuzzer {

    /** The kinds of abuse, each a case shape. */
    public enum Kind {
        RAW_GARBAGE_BEFORE_LOGIN,
        FRAMED_GARBAGE_AS_LOGIN,
        HUGE_LENGTH_PREFIX,
        TRUNCATED_PACKET,
        COMMAND_BEFORE_LOGIN,
        RANDOM_COMMAND_AFTER_LOGIN,
        MALFORMED_DUMP_AFTER_LOGIN,
        WRONG_SEQUENCE_AFTER_LOGIN,
        BINARY_GARBAGE_QUERY,
        GARBAGE_DURING_DUMP
    }

    /** What the server did with the cases of each kind. */
    public record Report(Map<Kind, Integer> cases, int errorPackets, int closedWithoutAnswer, int otherAnswers) {
        public int total() {
            return cases.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private final int port;
    private final String user;
    private final String password;
    private final Random random;
    private final int readTimeoutMillis;
    private final String dumpFile;

    /**
     * @param dumpFile a small binlog file the server holds, where dumps start (non-blocking)
     */
    public ProtocolFuzzer(int port, String user, String password, long seed, int readTimeoutMillis,
            String dumpFile) {
        this.port = port;
        this.dumpFile = dumpFile;
        this.user = user;
        this.password = password;
        this.random = new Random(seed);
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** Runs {@code count} cases; throws if the server hangs on one (neither answers nor closes). */
    public Report run(int count) throws IOException {
        Map<Kind, Integer> cases = new EnumMap<>(Kind.class);
        int errors = 0;
        int closed = 0;
        int other = 0;
        Kind[] kinds = Kind.values();
        for (int i = 0; i < count; i++) {
            Kind kind = kinds[random.nextInt(kinds.length)];
            cases.merge(kind, 1, Integer::sum);
            int first;
            try {
                first = runCase(kind);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("case " + i + " (" + kind + "): the server neither answered nor closed within "
                        + readTimeoutMillis + " ms", e);
            }
            if (first == 0xFF) {
                errors++;
            } else if (first < 0) {
                closed++;
            } else {
                other++;
            }
        }
        return new Report(cases, errors, closed, other);
    }

    /** The first byte of the first answer after the abuse (-1: closed without one). */
    private int runCase(Kind kind) throws IOException {
        try (RawClient client = new RawClient(port, random.nextBoolean())) {
            client.socket.setSoTimeout(readTimeoutMillis);
            OutputStream out = client.socket.getOutputStream();
            switch (kind) {
                case RAW_GARBAGE_BEFORE_LOGIN -> {
                    client.io.read(); // greeting
                    out.write(randomBytes(1 + random.nextInt(300)));
                }
                case FRAMED_GARBAGE_AS_LOGIN -> {
                    client.io.read();
                    frame(out, 1, randomBytes(random.nextInt(200)));
                }
                case HUGE_LENGTH_PREFIX -> {
                    if (random.nextBoolean()) {
                        client.login(user, password);
                    } else {
                        client.io.read();
                    }
                    // 0xFFFFFF-long packets announce a continuation: 64 of them would be 1 GiB.
                    for (int i = 0; i < 1 + random.nextInt(3); i++) {
                        out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) i});
                    }
                    out.write(randomBytes(random.nextInt(1000)));
                }
                case TRUNCATED_PACKET -> {
                    if (random.nextBoolean()) {
                        client.login(user, password);
                    } else {
                        client.io.read();
                    }
                    int claimed = 10 + random.nextInt(5000);
                    out.write(new byte[] {(byte) claimed, (byte) (claimed >> 8), (byte) (claimed >> 16), 0});
                    out.write(randomBytes(random.nextInt(claimed)));
                }
                case COMMAND_BEFORE_LOGIN -> {
                    client.io.read();
                    int command = random.nextBoolean() ? Commands.COM_QUERY : random.nextInt(0x20);
                    frame(out, 1, new PayloadWriter().int1(command)
                            .bytes("SHOW MASTER STATUS".getBytes(StandardCharsets.UTF_8)).toByteArray());
                }
                case RANDOM_COMMAND_AFTER_LOGIN -> {
                    client.login(user, password);
                    int command = random.nextInt(256);
                    if (command == Commands.COM_BINLOG_DUMP || command == 0x1E) {
                        command = Commands.COM_PING; // dumps are the next kind's business
                    }
                    frame(out, 0, new PayloadWriter().int1(command).bytes(randomBytes(random.nextInt(64))).toByteArray());
                }
                case MALFORMED_DUMP_AFTER_LOGIN -> {
                    client.login(user, password);
                    int command = switch (random.nextInt(3)) {
                        case 0 -> Commands.COM_BINLOG_DUMP;
                        case 1 -> Commands.COM_REGISTER_SLAVE;
                        default -> 0x1E; // COM_BINLOG_DUMP_GTID
                    };
                    PayloadWriter body = new PayloadWriter().int1(command);
                    // Truncated or random arguments; a server id far from any real replica's.
                    int length = random.nextInt(30);
                    byte[] args = randomBytes(length);
                    if (length >= 10) {
                        args[6] = (byte) 0x7A;
                        args[7] = (byte) 0x7A;
                        args[8] = (byte) 0x7A;
                        args[9] = 0x10;
                    }
                    frame(out, 0, body.bytes(args).toByteArray());
                }
                case WRONG_SEQUENCE_AFTER_LOGIN -> {
                    client.login(user, password);
                    frame(out, 1 + random.nextInt(250), new PayloadWriter().int1(Commands.COM_QUERY)
                            .bytes("SELECT 1".getBytes(StandardCharsets.UTF_8)).toByteArray());
                }
                case BINARY_GARBAGE_QUERY -> {
                    client.login(user, password);
                    frame(out, 0, new PayloadWriter().int1(Commands.COM_QUERY).bytes(randomBytes(random.nextInt(500)))
                            .toByteArray());
                }
                case GARBAGE_DURING_DUMP -> {
                    client.login(user, password);
                    client.registerSlave(0x107A7A7AL + random.nextInt(1000));
                    // Non-blocking (BINLOG_DUMP_NON_BLOCK), from the start of a small file.
                    client.dump(4, 1, 0x107A7A7AL + random.nextInt(1000), dumpFile);
                    client.readStreamPacket();
                    out.write(randomBytes(1 + random.nextInt(100)));
                }
                default -> throw new IllegalStateException(kind.toString());
            }
            out.flush();
            return firstAnswerThenDrain(client);
        } catch (SocketException e) {
            return -1; // the server closed the connection while this side was still writing
        } catch (EOFException e) {
            return -1; // closed before a greeting or an expected answer
        }
    }

    /** Shuts this side's output, then reads to the end; returns the first byte after the case's last packet. */
    private int firstAnswerThenDrain(RawClient client) throws IOException {
        client.socket.shutdownOutput();
        InputStream in = client.socket.getInputStream();
        byte[] header = in.readNBytes(5);
        byte[] buffer = new byte[64 * 1024];
        while (in.read(buffer) >= 0) {
            // drain: a dump may still be streaming; the server closes once it sees our end
        }
        return header.length < 5 ? -1 : header[4] & 0xFF;
    }

    private static void frame(OutputStream out, int sequence, byte[] payload) throws IOException {
        int length = payload.length;
        out.write(new byte[] {(byte) length, (byte) (length >> 8), (byte) (length >> 16), (byte) sequence});
        out.write(payload);
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
