package kingbus.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free loopback ports for test processes; never hands out the same port twice in one JVM. Ports
 * come from below the kernel's ephemeral range (32768 and up on Linux), so an outgoing connection
 * cannot take a port while the node that owns it is down for a restart.
 */
public final class Ports {

    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {}

    /** A port that is free now, with {@code port + 100} free too (JGroups FD_SOCK2 uses it). */
    private static final int LOWEST = 20000;
    private static final int HIGHEST = 32000;
    private static final java.util.Random RANDOM = new java.util.Random();

    public static synchronized int free() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = LOWEST + RANDOM.nextInt(HIGHEST - 100 - LOWEST);
            if (!GIVEN.contains(port) && !GIVEN.contains(port + 100) && probe(port) > 0 && probe(port + 100) > 0) {
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
            return -1;
        }
    }
}
