package dev.visage.sfu.relay;

import dev.visage.sfu.dtls.SrtpKeys;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * SRTP keys of one relay leg. Each side draws its own sending key and salt for every leg (never
 * reused across legs or attempts) and hands them to the peer in the offer or answer over the
 * cluster bus: the bus is the trust anchor (the nodes already share the cluster and its tokens),
 * so there is no DTLS on relay legs. {@link #sessionKeys} lays both halves out the way
 * {@link dev.visage.sfu.srtp.SrtpSession} expects: it decrypts with the first ("client") half and
 * encrypts with the second ("server") half, so each side puts the peer's key first.
 */
public final class RelayKeys {
    public static final int AES_GCM = SrtpKeys.AEAD_AES_128_GCM;
    public static final int AES_CM = SrtpKeys.AES128_CM_HMAC_SHA1_80;
    private static final SecureRandom RANDOM = new SecureRandom();

    private RelayKeys() {
    }

    /** A fresh sending key followed by its salt for this profile. */
    public static byte[] generate(int profile) {
        byte[] b = new byte[SrtpKeys.keyLength(profile) + SrtpKeys.saltLength(profile)];
        RANDOM.nextBytes(b);
        return b;
    }

    public static String encode(byte[] keyAndSalt) {
        return Base64.getEncoder().encodeToString(keyAndSalt);
    }

    /** Decodes and checks the length for the profile. */
    public static byte[] decode(String text, int profile) {
        byte[] b;
        try {
            b = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("relay key is not base64");
        }
        if (b.length != SrtpKeys.keyLength(profile) + SrtpKeys.saltLength(profile)) {
            throw new IllegalArgumentException("relay key has the wrong length for profile " + profile);
        }
        return b;
    }

    public static boolean supported(int profile) {
        return profile == AES_GCM || profile == AES_CM;
    }

    /** Keys for our SrtpSession: decrypt with the peer's key, encrypt with ours. */
    public static SrtpKeys sessionKeys(int profile, byte[] local, byte[] remote) {
        int kl = SrtpKeys.keyLength(profile);
        int sl = SrtpKeys.saltLength(profile);
        byte[] m = new byte[2 * (kl + sl)];
        System.arraycopy(remote, 0, m, 0, kl);
        System.arraycopy(local, 0, m, kl, kl);
        System.arraycopy(remote, kl, m, 2 * kl, sl);
        System.arraycopy(local, kl, m, 2 * kl + sl, sl);
        return new SrtpKeys(profile, m);
    }
}
