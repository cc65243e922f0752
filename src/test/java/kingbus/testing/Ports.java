package kingbus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports for test processes; never hands out the same port twice in one JVM. */
public final class Ports {

    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {}

    /** A port that is free now, with {@code port + 100} free too (JGroups FD_SOCK2 uses it). */
    public static synchronized int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = probe(0);
            if (port < 65000 && !GIVEN.contains(port) && !GIVEN.contains(port + 100) && probe(port + 100) > 0) {
                GIVEN.add(port);
                GIVEN.add(port + 100);
                return port;
            }
        }
        throw new IllegalStateException("No free port pair found");
    }

    private static int probe(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            if (port == 0) {
                throw new UncheckedIOException(e);
            }
            return -1;
        }
    }
}
