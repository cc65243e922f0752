package kingbus.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import kingbus.testing.RawClient;

/**
 * A binlog reader that speaks the real replication protocol (login, the variables a MariaDB replica or
 * {@code mariadb-binlog} sets, {@code COM_REGISTER_SLAVE}, {@code COM_BINLOG_DUMP}) and then only counts
 * what arrives: it neither decodes rows nor writes anything, so on 2 cores it costs as little as a
 * reader can. Used where a benchmark needs many concurrent readers (P3, P6) or per-GTID arrival times
 * (P4). Works against a real mariadbd and a Kingbus node alike.
 */
final class DumpReader implements AutoCloseable {

    /** {@code BINLOG_DUMP_NON_BLOCK}: the server ends the stream with EOF at the end of the log. */
    static final int NON_BLOCK = 0x01;
    /** MariaDB: send ANNOTATE_ROWS events (mariadb-binlog asks for them). */
    static final int SEND_ANNOTATE = 0x02;

    private final RawClient client;
    private volatile long bytes;
    private volatile long events;
    private volatile String file = "";
    private volatile long logPos;
    private volatile boolean ended;
    private volatile String error;
    private final Map<Long, Long> gtidArrivals;

    private DumpReader(RawClient client, boolean recordGtids) {
        this.client = client;
        this.gtidArrivals = recordGtids ? new ConcurrentHashMap<>() : null;
    }

    /**
     * Logs in and starts a dump: from {@code file}/{@code position}, or, when {@code gtidState} is not
     * null, in GTID mode from that state (file '' as a MariaDB replica does).
     */
    static DumpReader start(int port, String user, String password, long serverId, String file, long position,
            String gtidState, int flags, boolean recordGtids) throws IOException {
        RawClient client = new RawClient(port, false);
        client.socket.setSoTimeout(0);
        client.socket.setReceiveBufferSize(1 << 20);
        try {
            RawClient.Reply login = client.login(user, password);
            if (!login.isOk()) {
                throw new IOException("login to " + port + " refused: " + login);
            }
            query(client, "SET @master_binlog_checksum= @@global.binlog_checksum");
            query(client, "SET @mariadb_slave_capability=4");
            query(client, "SET @master_heartbeat_period=1000000000");
            if (gtidState != null) {
                query(client, "SET @slave_connect_state='" + gtidState + "'");
                query(client, "SET @slave_gtid_strict_mode=1");
                query(client, "SET @slave_gtid_ignore_duplicates=0");
            }
            if (serverId != 0) {
                client.registerSlave(serverId);
            }
            client.dump(position, flags, serverId, gtidState != null ? "" : file);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        return new DumpReader(client, recordGtids);
    }

    private static void query(RawClient client, String sql) throws IOException {
        RawClient.Reply reply = client.query(sql);
        if (reply.isError()) {
            throw new IOException(sql + ": " + reply);
        }
    }

    /**
     * Reads the stream until the server ends it (EOF), {@code limitBytes} event bytes have arrived, or
     * the socket is closed; returns the event bytes read. Records an error instead of throwing.
     */
    long readUntil(long limitBytes) {
        byte[] buffer = new byte[1 << 16];
        try {
            InputStream in = new BufferedInputStream(client.socket.getInputStream(), 1 << 18);
            boolean continuation = false;
            while (bytes < limitBytes) {
                int b0 = in.read();
                int b1 = in.read();
                int b2 = in.read();
                int seq = in.read();
                if (seq < 0) {
                    break;
                }
                int length = b0 | (b1 << 8) | (b2 << 16);
                if (buffer.length < length) {
                    buffer = new byte[Math.max(length, buffer.length * 2)];
                }
                in.readNBytes(buffer, 0, length);
                if (!continuation) {
                    int header = buffer[0] & 0xFF;
                    if (header == 0xFE && length < 9) {
                        break; // EOF: end of the log for a non-blocking dump
                    }
                    if (header == 0xFF) {
                        error = "server error " + ((buffer[1] & 0xFF) | (buffer[2] & 0xFF) << 8) + ": "
                                + new String(buffer, 9, Math.max(0, length - 9), StandardCharsets.UTF_8);
                        break;
                    }
                    onEvent(buffer, length);
                    bytes += length - 1;
                } else {
                    bytes += length;
                }
                continuation = length == 0xFFFFFF;
            }
        } catch (IOException e) {
            if (!client.socket.isClosed()) {
                error = e.toString();
            }
        } finally {
            ended = true;
        }
        return bytes;
    }

    private void onEvent(byte[] packet, int length) {
        events++;
        if (length < 20) {
            return;
        }
        int type = packet[1 + 4] & 0xFF;
        long pos = le(packet, 1 + 13, 4);
        if (type == 4 && length >= 28) { // ROTATE: 8-byte position, then the file name
            // both servers here use binlog_checksum=CRC32, negotiated above: the last 4 bytes are the CRC
            file = new String(packet, 1 + 19 + 8, length - 1 - 19 - 8 - 4, StandardCharsets.US_ASCII);
            logPos = le(packet, 1 + 19, 8);
            return;
        }
        if (type == 27) { // heartbeat: says nothing new
            return;
        }
        if (pos != 0) {
            logPos = pos;
        }
        if (type == 162 && gtidArrivals != null && length >= 1 + 19 + 12) { // GTID: seq_no(8), domain(4)
            long now = System.nanoTime();
            long seqNo = le(packet, 1 + 19, 8);
            gtidArrivals.putIfAbsent(seqNo, now);
        }
    }

    private static long le(byte[] b, int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (b[offset + i] & 0xFF);
        }
        return v;
    }

    long bytes() {
        return bytes;
    }

    long events() {
        return events;
    }

    /** The binlog file of the last ROTATE seen, and the end position of the last event. */
    String position() {
        return file + ":" + logPos;
    }

    boolean ended() {
        return ended;
    }

    String error() {
        return error;
    }

    /** GTID sequence number (domain 0) to System.nanoTime() of its arrival, when recording. */
    Map<Long, Long> gtidArrivals() {
        return gtidArrivals;
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            // closing a socket: nothing left to do
        }
    }
}
