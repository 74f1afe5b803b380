package dev.visage.sfu.rtp;

import dev.visage.sfu.rtcp.Rtcp;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NACK answers on raw RTCP bytes, decided the way SfuEndpoint.resend does. */
class ResendLimiterTest {
    private static final int SSRC = 0x11223344;
    private static final long MS = 1_000_000L;

    /** An RTPFB generic NACK (RFC 4585) for mediaSsrc: entries of (pid, blp). */
    static byte[] nack(int mediaSsrc, int... pidBlp) {
        int n = pidBlp.length / 2;
        byte[] b = new byte[12 + 4 * n];
        b[0] = (byte) (0x80 | Rtcp.FMT_NACK);
        b[1] = (byte) Rtcp.RTPFB;
        RtpPacket.w16(b, 2, b.length / 4 - 1);
        RtpPacket.w32(b, 4, 0x0BADCAFE);
        RtpPacket.w32(b, 8, mediaSsrc);
        for (int k = 0; k < n; k++) {
            RtpPacket.w16(b, 12 + 4 * k, pidBlp[2 * k]);
            RtpPacket.w16(b, 14 + 4 * k, pidBlp[2 * k + 1]);
        }
        return b;
    }

    /** Walks the NACK bytes like SubscribeTransport.onRtcp; returns the seqs actually resent. */
    static List<Integer> answer(ResendLimiter l, byte[] b, long now, long forwarded, int[] outcomes) {
        List<Integer> sent = new ArrayList<>();
        assertEquals(Rtcp.RTPFB, Rtcp.type(b, 0));
        int ssrc = Rtcp.mediaSsrc(b, 0);
        int plen = Rtcp.packetLength(b, 0);
        for (int k = 0; k < Rtcp.nackEntries(plen); k++) {
            int pid = Rtcp.nackPid(b, 0, k);
            int blp = Rtcp.nackBlp(b, 0, k);
            for (int bit = -1; bit < 16; bit++) {
                if (bit >= 0 && (blp & (1 << bit)) == 0) {
                    continue;
                }
                int seq = (pid + bit + 1) & 0xFFFF;
                int r = l.tryResend(ssrc, seq, now, forwarded);
                outcomes[r]++;
                if (r == ResendLimiter.ALLOW) {
                    sent.add(seq);
                }
            }
        }
        return sent;
    }

    @Test
    void aBurstOfDuplicateNacksYieldsOneResendPerRtt() {
        ResendLimiter l = ResendLimiter.standard();
        l.onRtt(100 * MS);
        long t = 10_000 * MS;
        l.tick(t - 1000 * MS, 0);
        long forwarded = 1000; // plenty of budget
        int[] o = new int[4];
        byte[] dup = nack(SSRC, 500, 0);
        int total = 0;
        for (int i = 0; i < 20; i++) { // 20 identical NACKs within 40 ms
            total += answer(l, dup, t + i * 2 * MS, forwarded, o).size();
        }
        assertEquals(1, total, "one resend within the RTT");
        assertEquals(19, o[ResendLimiter.TOO_SOON]);
        // after each RTT the next NACK is answered again, as often as a browser retries
        long at = t;
        for (int resend = 2; resend <= ResendLimiter.BROWSER_NACK_RETRIES; resend++) {
            at += 101 * MS;
            forwarded += 100; // the stream goes on, so the budget has room
            assertEquals(List.of(500), answer(l, dup, at, forwarded, o), "resend " + resend);
        }
        at += 101 * MS;
        forwarded += 100;
        assertEquals(List.of(), answer(l, dup, at, forwarded, o));
        assertEquals(1, o[ResendLimiter.TOO_MANY]);
        // a different stream with the same sequence number is a different packet
        assertEquals(List.of(500), answer(l, nack(SSRC + 1, 500, 0), at, forwarded, o));
    }

    @Test
    void aQueueStandingOnTheDownlinkSpacesResendsOfOnePacketFurther() {
        ResendLimiter l = ResendLimiter.standard();
        l.onRtt(100 * MS);
        l.onStandingQueue(150 * MS); // the first copy is still in a 150 ms queue
        assertEquals(250 * MS, l.resendIntervalNanos());
        long t = 1_000 * MS;
        l.tick(t - 1000 * MS, 0);
        assertEquals(ResendLimiter.ALLOW, l.tryResend(SSRC, 7, t, 1000));
        assertEquals(ResendLimiter.TOO_SOON, l.tryResend(SSRC, 7, t + 120 * MS, 1000));
        assertEquals(ResendLimiter.ALLOW, l.tryResend(SSRC, 7, t + 260 * MS, 1000));
        l.onStandingQueue(0); // drained
        assertEquals(100 * MS, l.resendIntervalNanos());
    }

    @Test
    void rttFloorCeilingAndDefault() {
        ResendLimiter l = ResendLimiter.standard();
        assertEquals(ResendLimiter.DEFAULT_RTT_NANOS, l.resendIntervalNanos());
        l.onRtt(1 * MS);
        assertEquals(ResendLimiter.MIN_INTERVAL_NANOS, l.resendIntervalNanos());
        ResendLimiter slow = ResendLimiter.standard();
        slow.onRtt(5000 * MS);
        assertEquals(ResendLimiter.MAX_INTERVAL_NANOS, slow.resendIntervalNanos());
        // unknown RTT: 150 ms between resends of one packet
        long t = 1_000 * MS;
        int[] o = new int[4];
        ResendLimiter d = ResendLimiter.standard();
        d.tick(t - 1000 * MS, 0);
        assertEquals(1, answer(d, nack(SSRC, 7, 0), t, 100, o).size());
        assertEquals(0, answer(d, nack(SSRC, 7, 0), t + 149 * MS, 100, o).size());
        assertEquals(1, answer(d, nack(SSRC, 7, 0), t + 150 * MS, 100, o).size());
    }

    @Test
    void resendsStayUnderHalfTheForwardedPacketsPerSecond() {
        ResendLimiter l = ResendLimiter.standard();
        l.onRtt(60 * MS);
        long t0 = 50_000 * MS;
        long forwarded = 0;
        int[] o = new int[4];
        int seqBase = 0;
        List<long[]> perSecond = new ArrayList<>();
        long[] cur = new long[2];
        // a storm: 300 packets/s forwarded, every 10 ms a NACK for 17 new packets (1700 NACKed/s)
        for (int ms = 0; ms < 5000; ms += 10) {
            long now = t0 + ms * MS;
            forwarded += 3;
            cur[0] += 3;
            l.tick(now, forwarded);
            int sent = answer(l, nack(SSRC, seqBase & 0xFFFF, 0xFFFF), now, forwarded, o).size();
            seqBase += 17;
            cur[1] += sent;
            if (ms % 1000 == 990) {
                perSecond.add(cur);
                cur = new long[2];
            }
        }
        for (long[] s : perSecond) {
            assertTrue(s[1] <= s[0] / 2 + 1, "resends " + s[1] + " > 50% of forwarded " + s[0]);
        }
        long[] last = perSecond.get(perSecond.size() - 1);
        assertTrue(last[1] >= last[0] / 2 - 20, "the budget is used, not starved: " + last[1] + " of " + last[0]);
        assertTrue(o[ResendLimiter.OVER_BUDGET] > 5000, "suppressed " + o[ResendLimiter.OVER_BUDGET]);
        // sliding, not only per calendar second: any 1 s window holds the cap
    }

    @Test
    void anySlidingWindowHoldsTheCap() {
        ResendLimiter l = ResendLimiter.standard();
        long t0 = 7_000 * MS;
        long forwarded = 0;
        int[] o = new int[4];
        long[] sentAt = new long[100_000];
        long[] fwdAt = new long[100_000];
        int seq = 0;
        for (int ms = 0; ms < 4000; ms++) {
            long now = t0 + ms * MS;
            forwarded += (ms % 4 == 0) ? 1 : 0; // 250 pps
            fwdAt[ms] = forwarded;
            if (ms % 100 == 0) {
                l.tick(now, forwarded);
            }
            int r = l.tryResend(SSRC, seq++ & 0xFFFF, now, forwarded);
            sentAt[ms] = (ms == 0 ? 0 : sentAt[ms - 1]) + (r == ResendLimiter.ALLOW ? 1 : 0);
        }
        for (int end = 1000; end < 4000; end += 37) {
            long resent = sentAt[end] - sentAt[end - 1000];
            long fwd = fwdAt[end] - fwdAt[end - 1000];
            // buckets of 100 ms: the window is 0.9-1.0 s, so allow one bucket of slack
            assertTrue(resent <= (fwd * 11) / 20 + 1, "window ending " + end + ": " + resent + " resends vs " + fwd);
        }
    }
}
