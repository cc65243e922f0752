package kingbus.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hosts of their own on this machine, for network failures between them: {@code count} network namespaces, each
 * joined by a veth pair to one bridge in this host's namespace, on a /24 of 10.77.0.0/16 picked at random. Host i
 * (from 1) is {@code 10.77.S.i}; this host is {@code 10.77.S.254} on the bridge, so processes here (a master,
 * replicas, the test) reach every namespace and are reached from it, and also {@code 10.77.S.253}, an address that
 * {@link #blackhole} can take from one host alone. {@link #cut} takes a host's link down: it then
 * reaches nobody and nobody reaches it, its processes running on, as a host cut off by the network; {@link #heal}
 * brings it back. Needs root and {@code ip}.
 *
 * <p>{@link #close} deletes the namespaces (and with them their veth pairs) and the bridge; run processes in them
 * through {@code ip netns exec} and stop those first. Not thread-safe.
 */
public final class NetNamespaces implements AutoCloseable {

    private final String suffix;
    private final int subnet;
    private final int count;
    private final List<String> created = new ArrayList<>();
    private boolean bridgeCreated;

    private NetNamespaces(int count) {
        this.suffix = Integer.toString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000), 16);
        this.subnet = ThreadLocalRandom.current().nextInt(1, 250);
        this.count = count;
    }

    /** Creates the bridge and {@code count} namespaces linked to it. */
    public static NetNamespaces create(int count) {
        NetNamespaces net = new NetNamespaces(count);
        try {
            net.build();
            return net;
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private void build() {
        ip("link", "add", bridge(), "type", "bridge");
        bridgeCreated = true;
        ip("addr", "add", hostAddress() + "/24", "dev", bridge());
        ip("addr", "add", serviceAddress() + "/24", "dev", bridge());
        ip("link", "set", bridge(), "up");
        for (int i = 1; i <= count; i++) {
            String ns = namespace(i);
            ip("netns", "add", ns);
            created.add(ns);
            ip("link", "add", hostSide(i), "type", "veth", "peer", "name", "kbp" + i + "-" + suffix);
            ip("link", "set", "kbp" + i + "-" + suffix, "netns", ns);
            ip("link", "set", hostSide(i), "master", bridge());
            ip("link", "set", hostSide(i), "up");
            ip("netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", "kbp" + i + "-" + suffix);
            ip("netns", "exec", ns, "ip", "link", "set", "kbp" + i + "-" + suffix, "up");
            ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
        }
    }

    /** How many namespaces (hosts) there are, numbered from 1. */
    public int count() {
        return count;
    }

    /** The name of namespace {@code i} (from 1), for {@code ip netns exec}. */
    public String namespace(int i) {
        return "kb" + i + "-" + suffix;
    }

    /** The address of host {@code i} (from 1), inside its namespace. */
    public String address(int i) {
        return "10.77." + subnet + "." + i;
    }

    /** This host's address on the bridge, which every namespace reaches. */
    public String hostAddress() {
        return "10.77." + subnet + ".254";
    }

    /**
     * A second address of this host on the bridge, for a service (a master) that a host should be able to lose
     * while it still reaches this host's processes at {@link #hostAddress} ({@link #blackhole}).
     */
    public String serviceAddress() {
        return "10.77." + subnet + ".253";
    }

    /**
     * What host {@code i} sends to {@code address} is dropped without a word, as over a broken route: its
     * connections there go silent and new ones time out; everything else still flows. Until {@link #unblackhole}.
     */
    public void blackhole(int i, String address) {
        ip("netns", "exec", namespace(i), "ip", "route", "add", "blackhole", address + "/32");
    }

    /** Host {@code i} reaches {@code address} again. */
    public void unblackhole(int i, String address) {
        ip("netns", "exec", namespace(i), "ip", "route", "del", "blackhole", address + "/32");
    }

    /** Host {@code i} reaches nobody and nobody reaches it, until {@link #heal}. */
    public void cut(int i) {
        ip("link", "set", hostSide(i), "down");
    }

    /** Host {@code i} is linked again. */
    public void heal(int i) {
        ip("link", "set", hostSide(i), "up");
    }

    /**
     * What reaches host {@code i} passes a token bucket of {@code rate} (tc's notation, e.g. {@code 2mbit}), as
     * over a slow link; what it sends is not limited. Until {@link #unlimit}.
     */
    public void limit(int i, String rate) {
        Processes.run(null, List.of("tc", "qdisc", "add", "dev", hostSide(i), "root", "tbf", "rate", rate, "burst",
                "32kbit", "latency", "400ms"), 30);
    }

    /** Host {@code i}'s link is as fast as the others again. */
    public void unlimit(int i) {
        Processes.run(null, List.of("tc", "qdisc", "del", "dev", hostSide(i), "root"), 30);
    }

    private String bridge() {
        return "kbbr-" + suffix;
    }

    private String hostSide(int i) {
        return "kbv" + i + "-" + suffix;
    }

    private static void ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Processes.run(null, command, 30);
    }

    @Override
    public void close() {
        for (String ns : created) {
            Processes.runToEnd(null, List.of("ip", "netns", "del", ns), 30);
        }
        created.clear();
        if (bridgeCreated) {
            Processes.runToEnd(null, List.of("ip", "link", "del", bridge()), 30);
            bridgeCreated = false;
        }
    }
}
