package dev.visage.sfu.ice;

import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.harvest.AbstractUdpListener;
import org.ice4j.ice.harvest.SinglePortUdpHarvester;
import org.ice4j.util.Buffer;
import org.ice4j.util.BufferPool;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Process-wide ice4j set-up. {@link #configureIce4j()} must run before the first {@code Agent}
 * class is touched: it switches off the AWS and STUN mapping harvesters (no traffic leaves the
 * host to discover addresses), IPv6 and link-local candidates, and turns on the push API. UPnP is
 * never used (the UPnP harvester is only active when added explicitly, and we never add it).
 */
public final class IceSetup {
    /** Size of every receive buffer: MTU plus room for in-place SRTP growth. */
    public static final int RECEIVE_BUFFER_SIZE = 1600;

    private static volatile boolean configured;

    private IceSetup() {
    }

    public static synchronized void configureIce4j() {
        if (configured) {
            return;
        }
        System.setProperty("ice4j.harvest.mapping.aws.enabled", "false");
        System.setProperty("ice4j.harvest.mapping.aws.force", "false");
        System.setProperty("ice4j.harvest.use-ipv6", "false");
        System.setProperty("ice4j.harvest.use-link-local-addresses", "false");
        System.setProperty("ice4j.harvest.udp.use-dynamic-ports", "false");
        // A deep socket buffer rides out short stalls of the receive thread (GC, CPU contention);
        // the kernel caps it at net.core.rmem_max.
        if (System.getProperty("ice4j.harvest.udp.receive-buffer-size") == null) {
            System.setProperty("ice4j.harvest.udp.receive-buffer-size", String.valueOf(8 * 1024 * 1024));
        }
        // Consent checks every ~5 s (JVB's value); SfuConfig's consent timeout acts on them.
        if (System.getProperty("ice4j.consent-freshness.interval") == null) {
            System.setProperty("ice4j.consent-freshness.interval", "5 seconds");
        }
        // Never move from COMPLETED to TERMINATED: a terminated ice4j agent answers checks on any
        // pair but the selected one with 403, so a browser that switches pairs (or loses consent on
        // one under load) cannot recover.
        if (System.getProperty("ice4j.ice.termination-delay") == null) {
            System.setProperty("ice4j.ice.termination-delay", "3650 days");
        }
        // Legacy property names, in case an old config path reads them.
        System.setProperty("org.ice4j.ice.harvest.DISABLE_AWS_HARVESTER", "true");
        System.setProperty("org.ice4j.ice.harvest.DISABLE_LINK_LOCAL_ADDRESSES", "true");
        System.setProperty("org.ice4j.ipv6.DISABLED", "true");
        com.typesafe.config.ConfigFactory.invalidateCaches();
        AbstractUdpListener.USE_PUSH_API = true;
        installBufferPool();
        configured = true;
    }

    /**
     * Replaces ice4j's per-packet {@code new byte[]} with a bounded pool of preallocated buffers;
     * the SFU returns each buffer after handling it.
     */
    private static void installBufferPool() {
        int n = 2048;
        ArrayBlockingQueue<Buffer> pool = new ArrayBlockingQueue<>(n);
        for (int i = 0; i < n; i++) {
            pool.offer(new Buffer(new byte[RECEIVE_BUFFER_SIZE], 0, RECEIVE_BUFFER_SIZE));
        }
        BufferPool.getBuffer = size -> {
            Buffer b = size <= RECEIVE_BUFFER_SIZE ? pool.poll() : null;
            if (b == null) {
                return new Buffer(new byte[Math.max(size, RECEIVE_BUFFER_SIZE)], 0, Math.max(size, RECEIVE_BUFFER_SIZE));
            }
            b.setOffset(0);
            b.setLength(RECEIVE_BUFFER_SIZE);
            return b;
        };
        BufferPool.returnBuffer = b -> {
            if (b.getBuffer().length == RECEIVE_BUFFER_SIZE) {
                pool.offer(b);
            }
            return kotlin.Unit.INSTANCE;
        };
    }

    /** Addresses to listen on and advertise: the configured list, else every non-loopback IPv4. */
    public static List<InetAddress> mediaAddresses(String configured) throws IOException {
        List<InetAddress> out = new ArrayList<>();
        if (configured != null && !configured.isBlank()) {
            for (String s : configured.split(",")) {
                if (!s.isBlank()) {
                    out.add(InetAddress.getByName(s.trim()));
                }
            }
            return out;
        }
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                        out.add(a);
                    }
                }
            }
        } catch (SocketException e) {
            throw new IOException("cannot list network interfaces", e);
        }
        return out;
    }

    /** One single-port harvester per address, all on the same UDP port. */
    public static List<SinglePortUdpHarvester> createHarvesters(List<InetAddress> addresses, int port) throws IOException {
        configureIce4j();
        List<SinglePortUdpHarvester> hs = new ArrayList<>();
        for (InetAddress a : addresses) {
            hs.add(new SinglePortUdpHarvester(new TransportAddress(a, port, Transport.UDP)));
        }
        return hs;
    }
}
