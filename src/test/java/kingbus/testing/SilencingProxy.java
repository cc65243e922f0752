package kingbus.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay in front of a server whose open connections can be made to go silent the way a cut
 * network or a dead host leaves them: {@link #silenceOpenConnections()} stops relaying on every
 * connection open at that moment, closes its server side, and leaves its client side open without a
 * FIN or RST, so the client waits on a connection that will never carry another byte. Connections
 * made afterwards are relayed as before (the link is back). Threads: one acceptor, two pumps per
 * connection; {@link #close()} stops them all.
 */
public final class SilencingProxy extends TcpRelay {

    /** One relayed connection. */
    private static final class Link {
        final Socket client;
        final Socket server;
        volatile boolean silent;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }
    }

    private final List<Link> links = new CopyOnWriteArrayList<>();

    /** Listens on a free loopback port and relays to {@code targetPort} on loopback. */
    public SilencingProxy(int targetPort) throws IOException {
        super(targetPort, "silencing-proxy");
    }

    /** Connections accepted so far, silenced ones included. */
    public int connectionsAccepted() {
        return links.size();
    }

    /**
     * Every connection open now goes silent for good: nothing more reaches its client, what the client sends is
     * dropped, and the server side is closed. The client side stays open until {@link #close()}.
     */
    public void silenceOpenConnections() {
        for (Link link : links) {
            link.silent = true;
            closeQuietly(link.server);
        }
    }

    @Override
    protected void relay(Socket client, Socket server) throws IOException {
        Link link = new Link(client, server);
        links.add(link);
        pump(link, client.getInputStream(), server.getOutputStream());
        pump(link, server.getInputStream(), client.getOutputStream());
    }

    private static void pump(Link link, InputStream in, OutputStream out) {
        startDaemon("silencing-proxy-pump", () -> {
            byte[] buffer = new byte[64 * 1024];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (link.silent) {
                        continue; // swallowed, as by a cut link
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the connection ended
            }
            if (!link.silent) {
                closeQuietly(link.client);
                closeQuietly(link.server);
            }
        });
    }
}
