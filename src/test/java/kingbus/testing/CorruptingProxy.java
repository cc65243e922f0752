package kingbus.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a MySQL server that flips one byte inside the body of the first
 * binlog event of a chosen type it relays to a client (the MySQL framing and the event header stay
 * intact, so only the event's CRC32 can tell), once; everything else passes unchanged. For testing
 * that a replica of the server refuses a corrupt event. Threads: one acceptor, two pumps per
 * connection; {@link #close()} stops them all.
 */
public final class CorruptingProxy extends TcpRelay {

    private final int eventType;
    private final AtomicInteger corrupted = new AtomicInteger();

    /** Listens on a free loopback port and relays to {@code targetPort}; corrupts one event of {@code eventType}. */
    public CorruptingProxy(int targetPort, int eventType) throws IOException {
        super(targetPort, "corrupting-proxy");
        this.eventType = eventType;
    }

    /** How many events were corrupted so far (0 or 1). */
    public int corrupted() {
        return corrupted.get();
    }

    @Override
    protected void relay(Socket client, Socket server) throws IOException {
        pump(client.getInputStream(), server.getOutputStream(), false);
        pump(server.getInputStream(), client.getOutputStream(), true);
    }

    private void pump(InputStream in, OutputStream out, boolean fromServer) {
        startDaemon("corrupting-proxy-pump", () -> {
            try {
                if (!fromServer) {
                    in.transferTo(out);
                    return;
                }
                byte[] header = new byte[4];
                while (in.readNBytes(header, 0, 4) == 4) {
                    int length = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16;
                    byte[] payload = in.readNBytes(length);
                    // 0x00 | event header (timestamp 4, type 1, ...) | body: flip a body byte once.
                    if (payload.length > 60 && payload[0] == 0 && (payload[5] & 0xFF) == eventType
                            && corrupted.compareAndSet(0, 1)) {
                        payload[1 + 19 + 10] ^= 0x5A;
                    }
                    out.write(header);
                    out.write(payload);
                    out.flush();
                    if (payload.length < length) {
                        return;
                    }
                }
            } catch (IOException e) {
                // a side closed: the other pump ends too once its socket is closed
            } finally {
                closeQuietly(in);
                closeQuietly(out);
            }
        });
    }
}
