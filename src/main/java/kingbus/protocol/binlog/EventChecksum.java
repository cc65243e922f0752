package kingbus.protocol.binlog;

import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * CRC32 trailers of binlog events: compute, verify, recompute after a change, strip.
 *
 * <p>Stateless and thread-safe.
 */
public final class EventChecksum {

    private EventChecksum() {}

    /** True when the last 4 bytes are the CRC32 of the rest. */
    public static boolean matches(byte[] event) {
        if (event.length < LogEvent.LOG_EVENT_HEADER_LEN + LogEvent.BINLOG_CHECKSUM_LEN) {
            return false;
        }
        return crc(event, event.length - LogEvent.BINLOG_CHECKSUM_LEN)
                == LogEvent.uint32(event, event.length - LogEvent.BINLOG_CHECKSUM_LEN);
    }

    /** Rewrites the CRC32 trailer of {@code event} in place. */
    public static void recompute(byte[] event) {
        int body = event.length - LogEvent.BINLOG_CHECKSUM_LEN;
        LogEvent.putUint32(event, body, crc(event, body));
    }

    /** A copy without the 4-byte trailer and with event_size reduced to match. */
    public static byte[] strip(byte[] event) {
        byte[] out = Arrays.copyOf(event, event.length - LogEvent.BINLOG_CHECKSUM_LEN);
        LogEvent.putUint32(out, LogEvent.EVENT_LEN_OFFSET, out.length);
        return out;
    }

    static long crc(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }
}
