package kingbus.server;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import kingbus.protocol.codec.MalformedPacketException;
import kingbus.protocol.codec.PacketIO;
import kingbus.protocol.codec.PacketTooLargeException;
import kingbus.protocol.packet.BinlogDumpCommand;
import kingbus.protocol.packet.Commands;
import kingbus.protocol.packet.Ed25519Password;
import kingbus.protocol.packet.ErrorCode;
import kingbus.protocol.packet.HandshakeResponse;
import kingbus.protocol.packet.NativePassword;
import kingbus.protocol.packet.Packets;
import kingbus.protocol.packet.RegisterSlaveCommand;
import kingbus.protocol.packet.SemiSync;

/**
 * One client connection: handshake and authentication, then commands until the client quits,
 * sends something broken, or starts a binlog dump (which then owns the connection).
 *
 * <p>Owns its socket and the user variables the client sets ({@code @master_binlog_checksum},
 * {@code @slave_connect_state}, ...). Runs on one thread; {@link #closeQuietly()} may be called from
 * another to end it.
 */
final class ClientSession {

    private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());
    /** A semi-sync ack: magic, position, a file name (FN_REFLEN at most). */
    private static final int MAX_ACK_PAYLOAD = 1024;

    private final MysqlServer server;
    /** The client's socket; replaced by its TLS layer after an SSLRequest. */
    private volatile Socket socket;
    /** The TCP socket under any TLS layer: closing it ends the connection without waiting on TLS. */
    private final Socket plainSocket;
    private final int connectionId;
    private final Map<String, String> userVariables = new ConcurrentHashMap<>();
    private volatile RegisterSlaveCommand registration;
    private volatile boolean dumping;
    private volatile SemiSync.Ack lastSemiSyncAck;
    /** What the session writes to its client goes through this, plain or under TLS. */
    private volatile TimedOutputStream output;
    /** Why the server closed this connection from another thread, or null. */
    private volatile String closedBecause;
    private String user = "";
    private boolean deprecateEof;

    ClientSession(MysqlServer server, Socket socket, int connectionId) {
        this.server = server;
        this.socket = socket;
        this.plainSocket = socket;
        this.connectionId = connectionId;
    }

    int connectionId() {
        return connectionId;
    }

    boolean isDumping() {
        return dumping;
    }

    RegisterSlaveCommand registration() {
        return registration;
    }

    String peer() {
        return socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    /** Answers a connection over the limit with ER_CON_COUNT_ERROR, as MariaDB does, and closes it. */
    void refuseTooMany() {
        try (Socket plain = socket) {
            PacketIO io = new PacketIO(plain.getInputStream(), plain.getOutputStream(), 1024);
            io.write(Packets.error(ErrorCode.ER_CON_COUNT_ERROR, "Too many connections"));
            io.flush();
            LOG.warning("Refused a connection from " + peer() + ": kingbus.mysql.max-connections ("
                    + server.settings().maxConnections() + ") reached");
        } catch (IOException e) {
            LOG.log(Level.FINE, "refuse", e);
        }
    }

    void run() {
        String ending = "closed";
        Socket plain = socket;
        try {
            plain.setTcpNoDelay(true);
            plain.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE,
                    server.settings().idleTimeout().toMillis())));
            output = new TimedOutputStream(plain.getOutputStream());
            PacketIO io = new PacketIO(plain.getInputStream(), output, MysqlServer.MAX_CLIENT_PAYLOAD);
            io = authenticate(io);
            if (io == null) {
                ending = null; // authenticate() logged why
                return;
            }
            commandLoop(io);
        } catch (SocketTimeoutException e) {
            ending = "closed after " + server.settings().idleTimeout().toSeconds() + " s idle";
        } catch (EOFException | SocketException e) {
            String why = closedBecause;
            ending = why != null ? why : server.isClosing() ? "closed by shutdown" : "closed by the client";
            LOG.fine(() -> "Connection " + connectionId + " from " + peer() + ": " + e);
        } catch (IOException | RuntimeException e) {
            String why = closedBecause;
            ending = why != null ? why : "ended by an error: " + e;
            LOG.log(Level.FINE, "Connection " + connectionId, e);
        } finally {
            closeQuietly();
            server.ended(this);
            String how = ending;
            if (how != null) {
                LOG.log(closedBecause != null ? Level.WARNING : Level.INFO, () -> "Connection " + connectionId
                        + " from " + peer() + " (user '" + user + "'" + (registration != null ? ", replica server_id "
                        + registration.serverId() : "") + ") " + how + describeLastAck());
            }
        }
    }

    /**
     * Greets, switches to TLS when the client asks (and TLS is configured), and checks the
     * password; returns the framer to go on with (over TLS after an SSLRequest), or null when the
     * login was refused (the client got an error packet and the refusal was logged).
     */
    private PacketIO authenticate(PacketIO io) throws IOException {
        byte[] scramble = NativePassword.newScramble();
        SSLContext tls = server.settings().tls();
        io.write(Packets.handshakeV10(ServerVariables.serverVersion(server.store()), connectionId, scramble,
                tls != null));
        io.flush();
        HandshakeResponse response;
        boolean secure = false;
        try {
            response = HandshakeResponse.parse(io.read());
            if (response.sslRequest()) {
                if (tls == null) {
                    sendError(io, ErrorCode.ER_NOT_SUPPORTED_YET, "TLS is not configured on this Kingbus node"
                            + " (set KINGBUS_TLS_KEYSTORE)");
                    LOG.warning("Refused a TLS connection from " + peer() + ": no TLS keystore is configured");
                    return null;
                }
                io = startTls(io, tls);
                secure = true;
                response = HandshakeResponse.parse(io.read());
            }
        } catch (MalformedPacketException e) {
            sendError(io, ErrorCode.ER_NET_READ_ERROR, "Bad handshake: " + e.getMessage());
            return null;
        } catch (SSLException e) {
            LOG.warning("TLS handshake with " + peer() + " failed: " + e.getMessage());
            return null;
        }
        user = response.user();
        if (!secure && server.settings().requireTls()) {
            sendError(io, ErrorCode.ER_SECURE_TRANSPORT_REQUIRED, "Connections using insecure transport are"
                    + " prohibited while kingbus.mysql.require-tls=true; connect with TLS");
            LOG.warning("Refused login of user '" + user + "' from " + peer() + ": not over TLS, and"
                    + " kingbus.mysql.require-tls=true");
            return null;
        }
        deprecateEof = response.deprecateEof();
        String expected = passwordFor(user);
        String required = server.settings().authPlugin();
        // Like a MariaDB account IDENTIFIED VIA mysql_native_password ... OR ed25519 ...: the client's
        // choice when Kingbus has it, unless ed25519 is required of everyone.
        boolean ed25519 = Ed25519Password.PLUGIN.equals(required)
                || Ed25519Password.CLIENT_PLUGIN.equals(response.authPlugin());
        String plugin = ed25519 ? Ed25519Password.PLUGIN : Packets.MYSQL_NATIVE_PASSWORD;
        String clientPlugin = ed25519 ? Ed25519Password.CLIENT_PLUGIN : Packets.MYSQL_NATIVE_PASSWORD;
        boolean verified;
        byte[] auth;
        if (ed25519) {
            // As MariaDB's auth_ed25519: a fresh nonce, whatever the client answered first.
            byte[] nonce = Ed25519Password.newNonce();
            io.write(Packets.authSwitchRequest(Ed25519Password.CLIENT_PLUGIN, nonce));
            io.flush();
            auth = io.read();
            verified = expected != null && Ed25519Password.verify(nonce, auth, expected);
        } else {
            auth = response.authResponse();
            if (response.authPlugin() != null && !Packets.MYSQL_NATIVE_PASSWORD.equals(response.authPlugin())) {
                io.write(Packets.authSwitchToNativePassword(scramble));
                io.flush();
                auth = io.read();
            }
            verified = expected != null && NativePassword.verify(scramble, auth, expected);
        }
        if (!verified) {
            String host = socket.getInetAddress().getHostAddress();
            String asked = response.authPlugin();
            // MariaDB's text, plus which plugin Kingbus checked when the client started with another.
            String switched = asked != null && !asked.equals(plugin) && !asked.equals(clientPlugin)
                    ? "; Kingbus authenticates with " + plugin + (ed25519 ? " only (kingbus.mysql.auth-plugin)"
                            : " or ed25519") + ", and the client asked for " + asked
                    : "";
            sendError(io, ErrorCode.ER_ACCESS_DENIED_ERROR, "Access denied for user '" + user + "'@'" + host
                    + "' (using password: " + (auth.length > 0 ? "YES" : "NO") + ")" + switched);
            LOG.warning("Refused login of user '" + user + "' from " + peer() + ": wrong user or password (" + plugin
                    + ")");
            return null;
        }
        io.write(Packets.ok());
        io.flush();
        boolean overTls = secure;
        LOG.info(() -> "Connection " + connectionId + " from " + peer() + " logged in as '" + user + "' with "
                + plugin + (overTls ? " over TLS" : ""));
        return io;
    }

    /**
     * Layers TLS (server mode) over the socket after an SSLRequest. Bytes of the client's TLS
     * handshake that the plain framer already buffered are handed to the TLS layer.
     */
    private PacketIO startTls(PacketIO plain, SSLContext tls) throws IOException {
        byte[] buffered = plain.takeBuffered();
        SSLSocket secured = (SSLSocket) tls.getSocketFactory()
                .createSocket(socket, new ByteArrayInputStream(buffered), true);
        secured.setUseClientMode(false);
        socket = secured;
        secured.startHandshake();
        output = new TimedOutputStream(secured.getOutputStream());
        PacketIO io = new PacketIO(secured.getInputStream(), output, MysqlServer.MAX_CLIENT_PAYLOAD);
        io.sequence(plain.sequence());
        return io;
    }

    private String passwordFor(String name) {
        ServerSettings settings = server.settings();
        if (name.equals(settings.replicaUser())) {
            return settings.replicaPassword();
        }
        if (name.equals(settings.adminUser()) && !settings.adminPassword().isEmpty()) {
            return settings.adminPassword();
        }
        return null;
    }

    private void commandLoop(PacketIO io) throws IOException {
        QueryResponder queries = new QueryResponder(server, this);
        while (true) {
            io.resetSequence();
            byte[] packet;
            try {
                packet = io.read();
            } catch (PacketTooLargeException e) {
                sendError(io, ErrorCode.ER_NET_PACKET_TOO_LARGE, "Got a packet bigger than 'max_allowed_packet' bytes");
                return;
            }
            if (packet.length == 0) {
                sendError(io, ErrorCode.ER_NET_READ_ERROR, "Got an empty packet");
                return;
            }
            int command = packet[0] & 0xFF;
            try {
                switch (command) {
                    case Commands.COM_QUIT -> {
                        return;
                    }
                    case Commands.COM_PING, Commands.COM_INIT_DB -> send(io, Packets.ok());
                    case Commands.COM_QUERY -> queries.answer(io,
                            new String(packet, 1, packet.length - 1, StandardCharsets.UTF_8));
                    case Commands.COM_REGISTER_SLAVE -> {
                        registration = RegisterSlaveCommand.parse(packet);
                        send(io, Packets.ok());
                    }
                    case Commands.COM_BINLOG_DUMP -> {
                        dump(io, BinlogDumpCommand.parse(packet));
                        return;
                    }
                    case Commands.COM_BINLOG_DUMP_GTID -> sendError(io, ErrorCode.ER_MASTER_FATAL_ERROR_READING_BINLOG,
                            "Kingbus does not support COM_BINLOG_DUMP_GTID (MySQL GTID replication) yet");
                    default -> sendError(io, ErrorCode.ER_UNKNOWN_COM_ERROR,
                            "Kingbus does not support command 0x" + Integer.toHexString(command));
                }
            } catch (MalformedPacketException e) {
                sendError(io, ErrorCode.ER_NET_READ_ERROR, "Malformed packet for command 0x"
                        + Integer.toHexString(command) + ": " + e.getMessage());
            }
        }
    }

    private void dump(PacketIO io, BinlogDumpCommand command) throws IOException {
        socket.setSoTimeout(0); // a replica may be silent for as long as it likes while we stream
        dumping = true;
        server.dumpStarted();
        LOG.info(() -> "Binlog dump for " + describeReplica(command) + " from " + peer() + " starts at "
                + BinlogDumper.describeStart(command, userVariables));
        if (BinlogDumper.wantsSemiSync(userVariables)) {
            startAckReader(io.inputOnly(MAX_ACK_PAYLOAD), command.serverId());
        }
        try {
            new BinlogDumper(server, io, command, userVariables, deprecateEof,
                    () -> server.isClosing() || socket.isClosed(), describeReplica(command) + " from " + peer()).run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            dumping = false;
            server.dumpEnded();
        }
    }

    /**
     * Reads a semi-sync replica's acks while the dump writes on the same socket. Anything else
     * closes the connection (a MariaDB master ignores it; closing is the clearer answer), and so does
     * the replica's end, which also stops the dump without waiting for its next write to fail.
     */
    private void startAckReader(PacketIO acks, long replicaServerId) {
        Runnable reader = () -> {
            try {
                while (true) {
                    acks.resetSequence();
                    SemiSync.Ack ack = SemiSync.parseAck(acks.read());
                    lastSemiSyncAck = ack;
                    server.semiSyncAcked();
                }
            } catch (MalformedPacketException | PacketTooLargeException e) {
                LOG.warning("Replica server_id " + replicaServerId + " on connection " + connectionId
                        + " sent a packet that is not a semi-sync ack during its dump (" + e.getMessage()
                        + "); closing the connection");
                closeQuietly();
            } catch (IOException e) {
                closeQuietly();
            }
        };
        try {
            server.startThread(reader, "kingbus-semisync-acks-" + connectionId);
        } catch (RuntimeException e) {
            LOG.warning("No thread to read the semi-sync acks of connection " + connectionId + ": " + e
                    + "; its acks are not read");
        }
    }

    /** For the connection's last log line: where its replica last acknowledged, for a semi-sync replica. */
    private String describeLastAck() {
        SemiSync.Ack ack = lastSemiSyncAck;
        return ack == null ? "" : "; its last semi-sync ack was for " + ack.file() + ":" + ack.position();
    }

    private String describeReplica(BinlogDumpCommand command) {
        return "replica server_id " + command.serverId() + " (user '" + user + "')";
    }

    void send(PacketIO io, byte[] payload) throws IOException {
        io.write(payload);
        io.flush();
    }

    void sendAll(PacketIO io, List<byte[]> payloads) throws IOException {
        for (byte[] payload : payloads) {
            io.write(payload);
        }
        io.flush();
    }

    void sendError(PacketIO io, ErrorCode code, String message) throws IOException {
        send(io, Packets.error(code, message));
    }

    /** The user this session logged in as. */
    String user() {
        return user;
    }

    Map<String, String> userVariables() {
        return userVariables;
    }

    boolean deprecateEof() {
        return deprecateEof;
    }

    /** How long a write to the client has been blocked at {@code now} ({@link System#nanoTime()}); 0 when none is. */
    long writeBlockedNanos(long now) {
        TimedOutputStream out = output;
        return out == null ? 0 : out.blockedNanos(now);
    }

    /** Closes the connection from another thread; the session ends saying {@code why}. */
    void closeBecause(String why) {
        closedBecause = why;
        closeQuietly();
    }

    /**
     * Ends the connection from any thread. The TCP socket is closed, not the TLS layer: closing that
     * would wait to send close_notify behind a dump blocked writing to a stalled replica.
     */
    void closeQuietly() {
        try {
            plainSocket.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "close", e);
        }
    }
}
