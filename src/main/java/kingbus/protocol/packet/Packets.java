package kingbus.protocol.packet;

import java.nio.charset.StandardCharsets;
import kingbus.protocol.codec.PayloadWriter;

/**
 * Builds the generic server packets: OK, ERR, EOF, the initial handshake (v10) and the
 * authentication switch request.
 *
 * <p>Stateless and thread-safe.
 */
public final class Packets {

    /** OK packet header. */
    public static final int OK_HEADER = 0x00;
    /** EOF packet header (also the OK that ends a result set under CLIENT_DEPRECATE_EOF). */
    public static final int EOF_HEADER = 0xFE;
    /** ERR packet header. */
    public static final int ERR_HEADER = 0xFF;
    /** AuthSwitchRequest header. */
    public static final int AUTH_SWITCH_HEADER = 0xFE;
    /** SERVER_STATUS_AUTOCOMMIT */
    public static final int SERVER_STATUS_AUTOCOMMIT = 0x0002;
    /** Protocol version of the initial handshake. */
    public static final int PROTOCOL_VERSION = 10;
    /** utf8mb4_general_ci */
    public static final int UTF8MB4_GENERAL_CI = 45;
    public static final String MYSQL_NATIVE_PASSWORD = "mysql_native_password";

    private Packets() {}

    public static byte[] ok() {
        return ok(0);
    }

    /** An OK packet that tells the client there are {@code warnings} warnings (for SHOW WARNINGS). */
    public static byte[] ok(int warnings) {
        return new PayloadWriter(7).int1(OK_HEADER).intLenenc(0).intLenenc(0).int2(SERVER_STATUS_AUTOCOMMIT)
                .int2(warnings).toByteArray();
    }

    /** The packet that ends a result set: EOF, or an OK with the 0xFE header under CLIENT_DEPRECATE_EOF. */
    public static byte[] endOfRows(boolean deprecateEof) {
        if (deprecateEof) {
            return new PayloadWriter(7).int1(EOF_HEADER).intLenenc(0).intLenenc(0).int2(SERVER_STATUS_AUTOCOMMIT)
                    .int2(0).toByteArray();
        }
        return eof();
    }

    public static byte[] eof() {
        return new PayloadWriter(5).int1(EOF_HEADER).int2(0).int2(SERVER_STATUS_AUTOCOMMIT).toByteArray();
    }

    public static byte[] error(ErrorCode error, String message) {
        return new PayloadWriter(16 + message.length()).int1(ERR_HEADER).int2(error.code()).int1('#')
                .bytes(error.sqlState().getBytes(StandardCharsets.US_ASCII)).stringEof(message).toByteArray();
    }

    /**
     * Protocol::HandshakeV10.
     *
     * @param scramble 20 bytes of auth plugin data
     */
    public static byte[] handshakeV10(String serverVersion, long connectionId, byte[] scramble) {
        return handshakeV10(serverVersion, connectionId, scramble, false);
    }

    /** Protocol::HandshakeV10, offering CLIENT_SSL when {@code tls} (the client may then send an SSLRequest). */
    public static byte[] handshakeV10(String serverVersion, long connectionId, byte[] scramble, boolean tls) {
        int capabilities = Capabilities.SERVER_CAPABILITIES | (tls ? Capabilities.CLIENT_SSL : 0);
        return new PayloadWriter(128)
                .int1(PROTOCOL_VERSION)
                .stringNul(serverVersion)
                .int4(connectionId)
                .bytes(scramble, 0, 8).int1(0)
                .int2(capabilities & 0xFFFF)
                .int1(UTF8MB4_GENERAL_CI)
                .int2(SERVER_STATUS_AUTOCOMMIT)
                .int2(capabilities >>> 16)
                .int1(scramble.length + 1)
                .zeros(10)
                .bytes(scramble, 8, scramble.length - 8).int1(0)
                .stringNul(MYSQL_NATIVE_PASSWORD)
                .toByteArray();
    }

    /** Protocol::AuthSwitchRequest to {@code plugin} with its first data (an ed25519 nonce is sent as is). */
    public static byte[] authSwitchRequest(String plugin, byte[] data) {
        return new PayloadWriter(plugin.length() + data.length + 2).int1(AUTH_SWITCH_HEADER).stringNul(plugin)
                .bytes(data).toByteArray();
    }

    /** Protocol::AuthSwitchRequest to mysql_native_password with the same scramble. */
    public static byte[] authSwitchToNativePassword(byte[] scramble) {
        return new PayloadWriter(48).int1(AUTH_SWITCH_HEADER).stringNul(MYSQL_NATIVE_PASSWORD).bytes(scramble).int1(0)
                .toByteArray();
    }
}
