package kingbus.protocol.codec;

/** A packet does not have the shape its command requires; the message says where it broke. */
public class MalformedPacketException extends RuntimeException {

    public MalformedPacketException(String message) {
        super(message);
    }
}
