package kingbus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Real MariaDB 10.11 events, read from the protocol transcripts in ../shared/fixtures. */
public final class FixtureEvents {

    private FixtureEvents() {}

    public static Path fixtures() {
        Path shared = Path.of(System.getProperty("user.dir")).resolve("../shared/fixtures").normalize();
        if (!Files.isDirectory(shared)) {
            throw new IllegalStateException("The shared fixtures are not at " + shared);
        }
        return shared;
    }

    /**
     * The events of a transcript that lie in a binlog file (not artificial, not heartbeats), in
     * stream order, without the 0x00 OK byte.
     */
    public static List<byte[]> fileEvents(String transcript) {
        try {
            List<String> lines = Files.readAllLines(fixtures().resolve("mariadb-10.11-protocol").resolve(transcript));
            List<byte[]> events = new ArrayList<>();
            for (int i = 0; i < lines.size() - 1; i++) {
                String line = lines.get(i);
                if (!line.contains("<S EVENT") || line.contains("ARTIFICIAL") || line.contains("HEARTBEAT")
                        || line.contains("log_pos=0 ")) {
                    continue;
                }
                String hex = lines.get(i + 1).trim();
                if (!hex.startsWith("hex: 00")) {
                    continue;
                }
                events.add(HexFormat.of().parseHex(hex.substring("hex: 00".length())));
            }
            return events;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The n-th event of a transcript whose line contains {@code marker}, without the OK byte. */
    public static byte[] event(String transcript, String marker, int nth) {
        try {
            List<String> lines = Files.readAllLines(fixtures().resolve("mariadb-10.11-protocol").resolve(transcript));
            int seen = 0;
            for (int i = 0; i < lines.size() - 1; i++) {
                if (lines.get(i).contains("<S EVENT") && lines.get(i).contains(marker) && seen++ == nth) {
                    return HexFormat.of().parseHex(lines.get(i + 1).trim().substring("hex: 00".length()));
                }
            }
            throw new IllegalArgumentException("No event '" + marker + "' #" + nth + " in " + transcript);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where event {@code index} of a whole file's {@code events} starts: after the 4-byte header and those before it. */
    public static long position(List<byte[]> events, int index) {
        long position = 4;
        for (int i = 0; i < index; i++) {
            position += events.get(i).length;
        }
        return position;
    }

    public static byte[] concat(List<byte[]> events, int from, int to) {
        int size = 0;
        for (int i = from; i < to; i++) {
            size += events.get(i).length;
        }
        byte[] out = new byte[size];
        int at = 0;
        for (int i = from; i < to; i++) {
            System.arraycopy(events.get(i), 0, out, at, events.get(i).length);
            at += events.get(i).length;
        }
        return out;
    }
}
