package dev.visage.sfu.relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's one UDP socket for relaying ({@code visage.relay.port} on the media address). A
 * single receive thread reads into one preallocated buffer and hands each datagram to the leg
 * whose peer address sent it; datagrams from any other address are dropped unread. Sending is
 * safe from any thread (the channel serialises writes).
 */
final class RelaySocket implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RelaySocket.class.getName());

    private final DatagramChannel channel;
    private final InetAddress address;
    private final int port;
    private final Thread receiver;
    private volatile RelayLeg[] legs = new RelayLeg[0];
    private volatile boolean closed;
    private final AtomicLong dropUnknownSource = new AtomicLong();

    RelaySocket(InetAddress address, int port) throws IOException {
        this.address = address;
        channel = DatagramChannel.open();
        channel.socket().setReceiveBufferSize(4 << 20);
        channel.socket().setSendBufferSize(4 << 20);
        channel.bind(new InetSocketAddress(address, port));
        channel.configureBlocking(true);
        this.port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
        receiver = new Thread(this::receiveLoop, "sfu-relay-rx-" + this.port);
        receiver.setDaemon(true);
    }

    void start() {
        receiver.start();
    }

    InetAddress address() {
        return address;
    }

    int port() {
        return port;
    }

    /** Datagrams from an address that is no leg's peer, dropped unread. */
    long droppedUnknownSource() {
        return dropUnknownSource.get();
    }

    /** Legs that may receive (set by the relay thread whenever legs come or go). */
    void setLegs(RelayLeg[] legs) {
        this.legs = legs;
    }

    /** Sends bb's backing array [0, len) to the address; bb is the caller's per-thread wrapper. */
    boolean send(ByteBuffer bb, int len, InetSocketAddress to) {
        if (to == null || closed) {
            return false;
        }
        try {
            bb.clear();
            bb.limit(len);
            return channel.send(bb, to) == len;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void receiveLoop() {
        byte[] buf = new byte[1600];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        while (!closed) {
            SocketAddress from;
            try {
                bb.clear();
                from = channel.receive(bb);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "relay receive failed", e);
                }
                continue;
            }
            RelayLeg leg = legFor(from);
            if (leg == null) {
                dropUnknownSource.incrementAndGet();
                continue;
            }
            try {
                leg.receive(buf, 0, bb.position());
            } catch (RuntimeException e) {
                leg.stats().droppedSrtp();
            }
        }
    }

    private RelayLeg legFor(SocketAddress from) {
        for (RelayLeg l : legs) {
            InetSocketAddress r = l.remote();
            if (r != null && r.equals(from)) {
                return l;
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
