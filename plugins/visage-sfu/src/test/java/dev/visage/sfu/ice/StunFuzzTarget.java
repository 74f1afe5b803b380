package dev.visage.sfu.ice;

import dev.visage.fuzz.Placement;
import dev.visage.sfu.rtp.PacketKind;
import org.ice4j.StunException;
import org.ice4j.message.Message;
import org.ice4j.socket.StunDatagramPacketFilter;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.DatagramPacket;

/**
 * Fuzz target "stun": the first look at a datagram on the media port. Our demultiplexer (RFC 7983)
 * must classify it the same whatever follows it. We parse no STUN ourselves: ice4j's single-port
 * harvester does, on its receive thread, before anything is authenticated. Its receive loop catches
 * only I/O errors, so what it calls there must never throw: taking the ufrag out of a binding
 * request from an unknown address, and asking whether a datagram is STUN. Its STUN stack then
 * decodes the message: ice4j's decoder throws runtime exceptions on malformed attributes (and reads
 * past the datagram's length on some: see fuzz/stun/crash-*), which both of its callers catch
 * (getUfrag and MessageProcessingTask catch everything) and count as a dropped message; an Error
 * there, or a hang, is a crash. {@code SfuEngineTest} sends every stored input to a live media port
 * and checks that it still answers.
 */
public final class StunFuzzTarget {
    private static final Method GET_UFRAG;

    static {
        try {
            // package-private in ice4j: what AbstractUdpListener runs on every datagram of an unknown sender
            GET_UFRAG = Class.forName("org.ice4j.ice.harvest.AbstractUdpListener")
                    .getDeclaredMethod("getUfrag", byte[].class, int.class, int.class);
            GET_UFRAG.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private StunFuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] datagram) throws Throwable {
        int off = Placement.OFFSET;
        int len = datagram.length;
        PacketKind kind = PacketKind.classify(Placement.followedBy(datagram, 64, (byte) 0), off, len);
        if (kind != PacketKind.classify(Placement.followedBy(datagram, 64, (byte) 0x80), off, len)) {
            throw new AssertionError("classification depends on bytes after the datagram");
        }
        byte[] buf = Placement.exact(datagram);
        if (kind != PacketKind.classify(buf, off, len)) {
            throw new AssertionError("classification changed with the buffer");
        }
        try {
            GET_UFRAG.invoke(null, buf, off, len);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        StunDatagramPacketFilter.isStunPacket(new DatagramPacket(buf, off, len));
        if (kind == PacketKind.STUN) {
            try {
                Message.decode(buf, off, len);
            } catch (StunException | RuntimeException dropped) {
                // a malformed message: ice4j logs and drops it
            }
        }
    }
}
