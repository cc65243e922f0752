package kingbus.protocol.codec;

import java.io.IOException;

/** A peer announced a payload larger than this side accepts; nothing of it was read into memory. */
public class PacketTooLargeException extends IOException {

    public PacketTooLargeException(long length, int limit) {
        super("A packet of " + length + " bytes is larger than the limit of " + limit + " bytes");
    }
}
