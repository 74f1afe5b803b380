package dev.visage.sfu.transport;

import dev.visage.sfu.SfuMetrics;
import dev.visage.sfu.bwe.SendSideEstimator;
import dev.visage.sfu.dtls.SrtpKeys;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtcp.TransportCcGenerator;
import dev.visage.sfu.rtp.NackGenerator;
import dev.visage.sfu.rtp.PacketCache;
import dev.visage.sfu.rtp.PacketKind;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.rtp.Rtx;
import dev.visage.sfu.rtp.TransportWideSequence;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.crypto.Aes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Allocation on the forwarding path, measured with the JVM's per-thread allocation counter.
 * Our packet handling (demux, header views and rewrites, packet cache, NACK bookkeeping, RTCP
 * parsing/writing, RTX wrapping, the transport-wide sequence stamp and the bandwidth estimator's
 * send and feedback paths) must allocate nothing. SRTP itself is jitsi-srtp + JCE, which
 * allocate inside (IV specs, and SunJCE's in-place/GCM buffering); that share is printed and
 * bounded so that a regression (an extra packet copy) shows.
 */
class HotPathAllocationTest {
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static byte[] packet(int seq) {
        byte[] p = new byte[1700];
        p[0] = (byte) 0x90;
        p[1] = 100;
        RtpPacket.setSequence(p, 0, seq);
        RtpPacket.setSsrc(p, 0, 0x1234);
        p[12] = (byte) 0xBE;
        p[13] = (byte) 0xDE;
        p[15] = 2;
        p[16] = 0x40;
        p[17] = '1';
        p[18] = 0x22;
        return p;
    }

    @Test
    void ourPacketHandlingAllocatesNothing() {
        byte[][] packets = new byte[1024][];
        for (int i = 0; i < packets.length; i++) {
            packets[i] = packet(i * 7);
        }
        byte[] map = new byte[16];
        map[2] = 2;
        PacketCache cache = new PacketCache(512);
        NackGenerator nacks = new NackGenerator();
        byte[] scratch = new byte[1700];
        byte[] scratch2 = new byte[1700];
        byte[] rtcp = new byte[1500];
        byte[] feedback = new byte[1500];
        SendSideEstimator estimator = new SendSideEstimator();
        TransportCcGenerator subscriberSide = new TransportCcGenerator();
        long sink = 0;
        long before = 0;
        int rounds = 200_000;
        for (int i = 0; i < rounds + 50_000; i++) {
            if (i == 50_000) {
                before = allocated();
            }
            byte[] p = packets[i & 1023];
            int len = 1000;
            RtpPacket.setSequence(p, 0, i & 0xFFFF);
            if (PacketKind.classify(p, 0, len) != PacketKind.RTP || !RtpPacket.isValid(p, 0, len)) {
                throw new AssertionError();
            }
            RtpPacket.setPayloadType(p, 0, 96);
            RtpPacket.remapExtensions(p, 0, len, map);
            if ((i % 50) != 7) {
                nacks.onPacket(i & 0xFFFF);
            }
            cache.put(p, 0, len);
            System.arraycopy(p, 0, scratch, 0, len);
            // the send step towards a transport-cc subscriber, and its feedback coming back
            int transportSeq = estimator.nextSequence();
            int stamped = TransportWideSequence.write(scratch, 0, len, 5, transportSeq, 16);
            estimator.onSent(stamped, i * 1_000_000L);
            if ((i % 13) != 5) {
                subscriberSide.onPacket(transportSeq, i * 1000L + 20_000);
            }
            if ((i % 100) == 99) {
                int n = subscriberSide.writeFeedback(feedback, 0, 1, 2);
                sink += n > 0 && estimator.onFeedback(feedback, 0, n, i * 1_000_000L) ? estimator.estimateBps() : 0;
            }
            if ((i % 100) == 0) {
                int n = nacks.writeNack(rtcp, 0, 1, 0x1234, i * 1_000_000L, 100_000_000L);
                if (n > 0 && Rtcp.isValidCompound(rtcp, 0, n)) {
                    for (int k = 0; k < Rtcp.nackEntries(n); k++) {
                        int seq = Rtcp.nackPid(rtcp, 0, k);
                        int got = cache.get(seq, scratch2);
                        if (got > 0) {
                            int hl = RtpPacket.headerLength(scratch2, 0, got);
                            System.arraycopy(scratch2, hl, scratch, hl + 2, got - hl);
                            System.arraycopy(scratch2, 0, scratch, 0, hl);
                            RtpPacket.w16(scratch, hl, seq);
                            sink += Rtx.unwrap(scratch, 0, got + 2, 0x1234, 96);
                        }
                    }
                }
                sink += Rtcp.writePli(rtcp, 0, 1, 2) + Rtcp.writeRemb(rtcp, 12, 1, 2_000_000, 3);
            }
            sink += scratch[20];
        }
        long bytes = allocated() - before;
        System.out.println("own packet handling: " + bytes + " bytes allocated over " + rounds + " packets (" + sink + ")");
        // a few hundred bytes once (class init, JIT deoptimisation) at most; nothing per packet
        assertTrue(bytes < 16 * 1024, "packet handling allocated " + bytes + " bytes over " + rounds + " packets");
    }

    @ParameterizedTest
    @ValueSource(ints = {SrtpKeys.AES128_CM_HMAC_SHA1_80, SrtpKeys.AEAD_AES_128_GCM})
    void srtpReceiveAndResendAllocationIsBounded(int profile) throws Exception {
        Aes.setFactoryClassName("org.jitsi.srtp.crypto.Aes$OpenSSLCipherFactory");
        SrtpKeys keys = PacketReceiverTest.keys(profile);
        PacketReceiverTest.Browser browser = new PacketReceiverTest.Browser(keys);
        SrtpSession subscriber = new SrtpSession(PacketReceiverTest.keys(profile + 50));
        int total = 30_000;
        int warm = 20_000;
        int len = 12 + 1000 + (profile == SrtpKeys.AEAD_AES_128_GCM ? 16 : 10);
        byte[][] wire = new byte[total][];
        for (int i = 0; i < total; i++) {
            wire[i] = java.util.Arrays.copyOf(browser.protectRtp(i & 0xFFFF, 1000), 1600);
        }
        byte[] scratch = new byte[1700];
        int[] forwarded = new int[1];
        PacketReceiver receiver = new PacketReceiver(new SfuMetrics(), new PacketReceiver.MediaHandler() {
            @Override
            public void onRtp(byte[] buf, int off, int l) {
                System.arraycopy(buf, off, scratch, 0, l);
                subscriber.protectRtp(scratch, 0, l, RtpPacket.ssrc(scratch, 0));
                forwarded[0]++;
            }

            @Override
            public void onRtcp(byte[] buf, int off, int l) {
            }
        });
        receiver.setSrtp(new SrtpSession(keys));
        long before = 0;
        for (int i = 0; i < total; i++) {
            if (i == warm) {
                before = allocated();
            }
            receiver.receive(wire[i], 0, len);
        }
        double perPacket = (double) (allocated() - before) / (total - warm);
        assertEquals(total, forwarded[0]);
        System.out.printf("SRTP decrypt + re-encrypt, profile %d: %.0f bytes allocated per packet (inside jitsi-srtp/JCE)%n",
                profile, perPacket);
        assertTrue(perPacket < 2048, "SRTP path allocates " + perPacket + " bytes per packet");
    }
}
