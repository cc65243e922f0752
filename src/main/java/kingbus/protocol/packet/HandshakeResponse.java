package kingbus.protocol.packet;

import kingbus.protocol.codec.PayloadReader;

/**
 * Protocol::HandshakeResponse41, as a client answers the initial handshake.
 *
 * @param capabilities the client's capability flags (lower 32 bits)
 * @param user the user name
 * @param authResponse the auth plugin's response (for mysql_native_password, 20 bytes or empty)
 * @param database the schema named with CLIENT_CONNECT_WITH_DB, or null
 * @param authPlugin the client's auth plugin, or null
 * @param sslRequest true when the packet is only an SSLRequest (TLS not supported yet)
 */
public record HandshakeResponse(
        int capabilities, String user, byte[] authResponse, String database, String authPlugin, boolean sslRequest) {

    /** Length of an SSLRequest: capabilities 4, max packet 4, charset 1, reserved 23. */
    static final int SSL_REQUEST_LENGTH = 32;
    static final int RESERVED_LENGTH = 23;

    /** Parses the packet; throws {@link kingbus.protocol.codec.MalformedPacketException} if it is not one. */
    public static HandshakeResponse parse(byte[] payload) {
        PayloadReader in = new PayloadReader(payload);
        int capabilities = (int) in.int4();
        if ((capabilities & Capabilities.CLIENT_PROTOCOL_41) == 0) {
            throw new kingbus.protocol.codec.MalformedPacketException(
                    "The client does not speak the 4.1 protocol (CLIENT_PROTOCOL_41)");
        }
        in.int4(); // max packet size
        in.int1(); // character set
        in.skip(RESERVED_LENGTH);
        if (payload.length == SSL_REQUEST_LENGTH && (capabilities & Capabilities.CLIENT_SSL) != 0) {
            return new HandshakeResponse(capabilities, "", new byte[0], null, null, true);
        }
        String user = in.stringNul();
        byte[] auth;
        if ((capabilities & Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) != 0) {
            auth = in.bytesLenenc();
        } else if ((capabilities & Capabilities.CLIENT_SECURE_CONNECTION) != 0) {
            auth = in.bytes(in.int1());
        } else {
            String legacy = in.stringNul();
            auth = legacy.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        String database = null;
        if ((capabilities & Capabilities.CLIENT_CONNECT_WITH_DB) != 0 && in.hasRemaining()) {
            database = in.stringNul();
        }
        String plugin = null;
        if ((capabilities & Capabilities.CLIENT_PLUGIN_AUTH) != 0 && in.hasRemaining()) {
            plugin = in.stringNul();
        }
        if ((capabilities & Capabilities.CLIENT_CONNECT_ATTRS) != 0 && in.hasRemaining()) {
            skipConnectAttributes(in); // parsed so a broken packet is noticed; Kingbus does not use them
        }
        return new HandshakeResponse(capabilities, user, auth, database, plugin, false);
    }

    /** Connection attributes: int<lenenc> total length, then key/value string<lenenc> pairs. */
    private static void skipConnectAttributes(PayloadReader in) {
        long length = in.intLenenc();
        if (length > in.remaining()) {
            throw new kingbus.protocol.codec.MalformedPacketException("Connection attributes of " + length
                    + " bytes run past the end of the handshake response");
        }
        int end = in.position() + (int) length;
        while (in.position() < end) {
            in.bytesLenenc(); // key
            in.bytesLenenc(); // value
        }
    }

    /** True when the client negotiated CLIENT_DEPRECATE_EOF (result sets end with an OK packet). */
    public boolean deprecateEof() {
        return (capabilities & Capabilities.CLIENT_DEPRECATE_EOF) != 0;
    }
}
