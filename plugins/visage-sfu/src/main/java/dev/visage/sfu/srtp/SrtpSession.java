package dev.visage.sfu.srtp;

import dev.visage.sfu.dtls.SrtpKeys;
import dev.visage.sfu.rtcp.Rtcp;
import dev.visage.sfu.rtp.RtpPacket;
import org.jitsi.srtp.SrtcpCryptoContext;
import org.jitsi.srtp.SrtpContextFactory;
import org.jitsi.srtp.SrtpCryptoContext;
import org.jitsi.srtp.SrtpErrorStatus;
import org.jitsi.srtp.SrtpPolicy;
import org.jitsi.utils.logging2.Logger;
import org.jitsi.utils.logging2.LoggerImpl;

import java.security.GeneralSecurityException;

/**
 * SRTP/SRTCP protection for one transport where we are the DTLS server: we decrypt with the
 * client's keys and encrypt with the server's. Contexts are cached per SSRC; a decrypt context is
 * cached only once its first packet authenticated. Results are {@link SrtpErrorStatus} values,
 * never exceptions. Each direction is used under its own lock by callers (contexts are
 * synchronized anyway); the per-SSRC map lookup does not allocate for int keys in the common range
 * thanks to a small open-addressing cache in front of it.
 */
public final class SrtpSession implements AutoCloseable {
    private static final Logger LOG = new LoggerImpl(SrtpSession.class.getName());

    private final SrtpContextFactory decryptFactory;
    private final SrtpContextFactory encryptFactory;
    private final SsrcMap<SrtpCryptoContext> rtpIn = new SsrcMap<>();
    private final SsrcMap<SrtpCryptoContext> rtpOut = new SsrcMap<>();
    private final SsrcMap<SrtcpCryptoContext> rtcpIn = new SsrcMap<>();
    private final SsrcMap<SrtcpCryptoContext> rtcpOut = new SsrcMap<>();
    private final PacketView view = new PacketView();
    private final PacketView outView = new PacketView();
    public final int tagOverhead;

    public SrtpSession(SrtpKeys keys) {
        int kl = SrtpKeys.keyLength(keys.profile());
        int sl = SrtpKeys.saltLength(keys.profile());
        byte[] m = keys.material();
        byte[] clientKey = new byte[kl];
        byte[] serverKey = new byte[kl];
        byte[] clientSalt = new byte[sl];
        byte[] serverSalt = new byte[sl];
        System.arraycopy(m, 0, clientKey, 0, kl);
        System.arraycopy(m, kl, serverKey, 0, kl);
        System.arraycopy(m, 2 * kl, clientSalt, 0, sl);
        System.arraycopy(m, 2 * kl + sl, serverSalt, 0, sl);
        SrtpPolicy rtp = policy(keys.profile());
        SrtpPolicy rtcp = policy(keys.profile());
        // We resend cached packets (NACK) possibly unchanged: disable send-side replay checks.
        rtp.setSendReplayEnabled(false);
        rtcp.setSendReplayEnabled(false);
        decryptFactory = new SrtpContextFactory(false, clientKey, clientSalt, rtp, rtcp, LOG);
        SrtpPolicy rtpOutPolicy = policy(keys.profile());
        SrtpPolicy rtcpOutPolicy = policy(keys.profile());
        rtpOutPolicy.setSendReplayEnabled(false);
        rtcpOutPolicy.setSendReplayEnabled(false);
        encryptFactory = new SrtpContextFactory(true, serverKey, serverSalt, rtpOutPolicy, rtcpOutPolicy, LOG);
        tagOverhead = keys.profile() == SrtpKeys.AEAD_AES_128_GCM ? 16 : 10;
    }

    public static SrtpPolicy policy(int profile) {
        if (profile == SrtpKeys.AEAD_AES_128_GCM) {
            return new SrtpPolicy(SrtpPolicy.AESGCM_ENCRYPTION, 16, SrtpPolicy.NULL_AUTHENTICATION, 0, 16, 12);
        }
        return new SrtpPolicy(SrtpPolicy.AESCM_ENCRYPTION, 16, SrtpPolicy.HMACSHA1_AUTHENTICATION, 20, 10, 14);
    }

    /** Why {@link #decryptRtp} or {@link #decryptRtcp} dropped a packet (negative: never a length). */
    public static final int MALFORMED = -1;
    public static final int AUTH_FAILED = -2;
    public static final int REPLAYED = -3;
    public static final int FAILED = -4;

    /**
     * The decrypt step of every transport (a browser's, a relay leg): an SRTP packet long enough
     * for its header and tag, decrypted in place and checked as RTP. Its plaintext length, or why
     * it was dropped.
     */
    public synchronized int decryptRtp(byte[] buf, int off, int len) {
        if (len < RtpPacket.FIXED_HEADER + tagOverhead || RtpPacket.headerLength(buf, off, len - tagOverhead) < 0) {
            return MALFORMED;
        }
        SrtpErrorStatus st = unprotectRtp(buf, off, len, RtpPacket.ssrc(buf, off));
        if (st != SrtpErrorStatus.OK) {
            return dropReason(st);
        }
        return RtpPacket.isValid(buf, off, resultLength) ? resultLength : MALFORMED;
    }

    /** As {@link #decryptRtp}, for an SRTCP packet checked as a compound RTCP packet. */
    public synchronized int decryptRtcp(byte[] buf, int off, int len) {
        // header (8) + SRTCP index (4) + tag
        if (len < 8 + 4 + tagOverhead || (buf[off] & 0xC0) != 0x80) {
            return MALFORMED;
        }
        SrtpErrorStatus st = unprotectRtcp(buf, off, len, RtpPacket.i32(buf, off + 4));
        if (st != SrtpErrorStatus.OK) {
            return dropReason(st);
        }
        return Rtcp.isValidCompound(buf, off, resultLength) ? resultLength : MALFORMED;
    }

    private static int dropReason(SrtpErrorStatus st) {
        return switch (st) {
            case AUTH_FAIL -> AUTH_FAILED;
            case REPLAY_FAIL, REPLAY_OLD -> REPLAYED;
            default -> FAILED;
        };
    }

    /** Decrypts SRTP in place. On OK, {@link #resultLength()} is the plaintext length. */
    public synchronized SrtpErrorStatus unprotectRtp(byte[] buf, int off, int len, int ssrc) {
        try {
            SrtpCryptoContext c = rtpIn.get(ssrc);
            boolean fresh = c == null;
            if (fresh) {
                c = decryptFactory.deriveContext(ssrc, 0);
            }
            view.set(buf, off, len);
            SrtpErrorStatus s = c.reverseTransformPacket(view, false);
            if (s == SrtpErrorStatus.OK && fresh) {
                rtpIn.put(ssrc, c);
            }
            resultLength = view.getLength();
            return s;
        } catch (GeneralSecurityException | RuntimeException e) {
            return SrtpErrorStatus.FAIL;
        }
    }

    public synchronized SrtpErrorStatus unprotectRtcp(byte[] buf, int off, int len, int ssrc) {
        try {
            SrtcpCryptoContext c = rtcpIn.get(ssrc);
            boolean fresh = c == null;
            if (fresh) {
                c = decryptFactory.deriveControlContext(ssrc);
            }
            view.set(buf, off, len);
            SrtpErrorStatus s = c.reverseTransformPacket(view);
            if (s == SrtpErrorStatus.OK && fresh) {
                rtcpIn.put(ssrc, c);
            }
            resultLength = view.getLength();
            return s;
        } catch (GeneralSecurityException | RuntimeException e) {
            return SrtpErrorStatus.FAIL;
        }
    }

    private int resultLength;
    private int outLength;

    public synchronized int resultLength() {
        return resultLength;
    }

    /** Encrypts in place; buf must have {@link #tagOverhead} (+4 for RTCP) spare bytes after len. */
    public SrtpErrorStatus protectRtp(byte[] buf, int off, int len, int ssrc) {
        synchronized (outView) {
            try {
                SrtpCryptoContext c = rtpOut.get(ssrc);
                if (c == null) {
                    c = encryptFactory.deriveContext(ssrc, 0);
                    rtpOut.put(ssrc, c);
                }
                outView.set(buf, off, len);
                SrtpErrorStatus s = c.transformPacket(outView);
                outLength = outView.getLength();
                return s;
            } catch (GeneralSecurityException | RuntimeException e) {
                return SrtpErrorStatus.FAIL;
            }
        }
    }

    public SrtpErrorStatus protectRtcp(byte[] buf, int off, int len, int ssrc) {
        synchronized (outView) {
            try {
                SrtcpCryptoContext c = rtcpOut.get(ssrc);
                if (c == null) {
                    c = encryptFactory.deriveControlContext(ssrc);
                    rtcpOut.put(ssrc, c);
                }
                outView.set(buf, off, len);
                SrtpErrorStatus s = c.transformPacket(outView);
                outLength = outView.getLength();
                return s;
            } catch (GeneralSecurityException | RuntimeException e) {
                return SrtpErrorStatus.FAIL;
            }
        }
    }

    /** Length after the last protect call (caller holds the same lock sequence: single sender thread or its own lock). */
    public int protectedLength() {
        synchronized (outView) {
            return outLength;
        }
    }

    @Override
    public void close() {
        decryptFactory.close();
        encryptFactory.close();
    }

    /** A tiny int-keyed map without boxing on lookups (linear probe; SSRC counts are small). */
    static final class SsrcMap<V> {
        private int[] keys = new int[16];
        private Object[] values = new Object[16];
        private int size;

        @SuppressWarnings("unchecked")
        V get(int k) {
            for (int i = 0; i < size; i++) {
                if (keys[i] == k) {
                    return (V) values[i];
                }
            }
            return null;
        }

        void put(int k, V v) {
            for (int i = 0; i < size; i++) {
                if (keys[i] == k) {
                    values[i] = v;
                    return;
                }
            }
            if (size == keys.length) {
                keys = java.util.Arrays.copyOf(keys, size * 2);
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            keys[size] = k;
            values[size++] = v;
        }
    }

    /** Mutable ByteArrayBuffer view reused for every packet. */
    static final class PacketView implements org.jitsi.utils.ByteArrayBuffer {
        private byte[] buf;
        private int off;
        private int len;

        void set(byte[] b, int o, int l) {
            buf = b;
            off = o;
            len = l;
        }

        @Override
        public byte[] getBuffer() {
            return buf;
        }

        @Override
        public int getOffset() {
            return off;
        }

        @Override
        public int getLength() {
            return len;
        }

        @Override
        public void setLength(int l) {
            len = l;
        }

        @Override
        public void setOffset(int o) {
            off = o;
        }

        @Override
        public boolean isInvalid() {
            return false;
        }

        @Override
        public void readRegionToBuff(int o, int l, byte[] out) {
            System.arraycopy(buf, off + o, out, 0, l);
        }

        @Override
        public void grow(int howMuch) {
            if (off + len + howMuch > buf.length) {
                throw new IllegalStateException("no room to grow packet");
            }
        }

        @Override
        public void append(byte[] data, int l) {
            grow(l);
            System.arraycopy(data, 0, buf, off + len, l);
            len += l;
        }

        @Override
        public void shrink(int l) {
            len = Math.max(0, len - l);
        }
    }
}
