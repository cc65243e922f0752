package kingbus.protocol.packet;

/** Capability flags of the handshake, named and valued as in MySQL's {@code mysql_com.h}. */
public final class Capabilities {

    /** CLIENT_LONG_PASSWORD: new, more secure passwords. */
    public static final int CLIENT_LONG_PASSWORD = 1;
    /** CLIENT_FOUND_ROWS */
    public static final int CLIENT_FOUND_ROWS = 1 << 1;
    /** CLIENT_LONG_FLAG: all column flags. */
    public static final int CLIENT_LONG_FLAG = 1 << 2;
    /** CLIENT_CONNECT_WITH_DB: a schema can be named in the handshake response. */
    public static final int CLIENT_CONNECT_WITH_DB = 1 << 3;
    /** CLIENT_LOCAL_FILES */
    public static final int CLIENT_LOCAL_FILES = 1 << 7;
    /** CLIENT_PROTOCOL_41: the 4.1 protocol. */
    public static final int CLIENT_PROTOCOL_41 = 1 << 9;
    /** CLIENT_SSL: switch to TLS after the handshake. */
    public static final int CLIENT_SSL = 1 << 11;
    /** CLIENT_TRANSACTIONS */
    public static final int CLIENT_TRANSACTIONS = 1 << 13;
    /** CLIENT_SECURE_CONNECTION: 4.1 authentication. */
    public static final int CLIENT_SECURE_CONNECTION = 1 << 15;
    /** CLIENT_MULTI_STATEMENTS */
    public static final int CLIENT_MULTI_STATEMENTS = 1 << 16;
    /** CLIENT_MULTI_RESULTS */
    public static final int CLIENT_MULTI_RESULTS = 1 << 17;
    /** CLIENT_PLUGIN_AUTH: authentication plugins. */
    public static final int CLIENT_PLUGIN_AUTH = 1 << 19;
    /** CLIENT_CONNECT_ATTRS: connection attributes in the handshake response. */
    public static final int CLIENT_CONNECT_ATTRS = 1 << 20;
    /** CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: length-encoded auth response. */
    public static final int CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
    /** CLIENT_SESSION_TRACK */
    public static final int CLIENT_SESSION_TRACK = 1 << 23;
    /** CLIENT_DEPRECATE_EOF: result sets end with an OK packet instead of EOF. */
    public static final int CLIENT_DEPRECATE_EOF = 1 << 24;

    /** What Kingbus offers. MariaDB's extended capabilities (upper 32 bits) are not offered. */
    public static final int SERVER_CAPABILITIES = CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG
            | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
            | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS
            | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_DEPRECATE_EOF;

    private Capabilities() {}
}
