package dev.visage.sfu.relay;

import dev.visage.sfu.dtls.SrtpKeys;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * SRTP keys of relay legs, derived from the node's relay key ({@code PluginContext.clusterKey(
 * "relay-srtp")}, the same on every node of the cluster and never on the cluster bus). Each side of
 * each leg draws a fresh nonce (never reused across legs or attempts) and sends only the nonce in
 * its offer or answer; its sending key and salt are HKDF-SHA256-Expand of the relay key over the
 * leg id, the side (offerer or answerer) and that nonce. A process that reads the bus sees nonces,
 * which are worthless without the cluster secret, so there is no DTLS on relay legs.
 * {@link #sessionKeys} lays both halves out the way {@link dev.visage.sfu.srtp.SrtpSession}
 * expects: it decrypts with the first ("client") half and encrypts with the second ("server")
 * half, so each side puts the peer's key first.
 */
public final class RelayKeys {
    public static final int AES_GCM = SrtpKeys.AEAD_AES_128_GCM;
    public static final int AES_CM = SrtpKeys.AES128_CM_HMAC_SHA1_80;
    /** The cluster key purpose the relay's keys derive from. */
    public static final String PURPOSE = "relay-srtp";
    static final int NONCE_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] relayKey;

    public RelayKeys(byte[] relayKey) {
        this.relayKey = relayKey.clone();
    }

    /** A fresh nonce for one side of one leg. */
    public static byte[] nonce() {
        byte[] b = new byte[NONCE_BYTES];
        RANDOM.nextBytes(b);
        return b;
    }

    public static String encode(byte[] nonce) {
        return Base64.getEncoder().encodeToString(nonce);
    }

    /** Decodes a nonce from the bus and checks its length. */
    public static byte[] decodeNonce(String text) {
        byte[] b;
        try {
            b = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("relay nonce is not base64");
        }
        if (b.length != NONCE_BYTES) {
            throw new IllegalArgumentException("relay nonce has the wrong length");
        }
        return b;
    }

    /** The sending key followed by its salt of one side of a leg, for this profile. */
    public byte[] sendingKey(int profile, String legId, boolean offerer, byte[] nonce) {
        byte[] label = ("visage relay leg " + legId + (offerer ? " offerer" : " answerer")).getBytes(StandardCharsets.UTF_8);
        byte[] info = new byte[label.length + nonce.length];
        System.arraycopy(label, 0, info, 0, label.length);
        System.arraycopy(nonce, 0, info, label.length, nonce.length);
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(HKDFParameters.skipExtractParameters(relayKey, info));
        byte[] keyAndSalt = new byte[SrtpKeys.keyLength(profile) + SrtpKeys.saltLength(profile)];
        hkdf.generateBytes(keyAndSalt, 0, keyAndSalt.length);
        return keyAndSalt;
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
