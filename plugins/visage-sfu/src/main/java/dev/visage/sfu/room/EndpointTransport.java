package dev.visage.sfu.room;

import dev.visage.sfu.transport.PacketReceiver;
import dev.visage.sfu.transport.PeerTransport;

/**
 * One of a participant's two sides ({@link PublishTransport}, {@link SubscribeTransport}): the
 * {@link PeerTransport} of that PeerConnection, created with its first offer, and the handler
 * its decrypted packets go to.
 */
abstract class EndpointTransport implements PacketReceiver.MediaHandler {
    private volatile PeerTransport transport;

    /** Null until the first offer of this side. */
    final PeerTransport transport() {
        return transport;
    }

    /** Under the room monitor, with the first offer of this side. */
    final void setTransport(PeerTransport t) {
        transport = t;
    }

    final void close() {
        PeerTransport t = transport;
        if (t != null) {
            t.close();
        }
    }
}
