package dev.visage.sfu.dtls;

/**
 * Result of a DTLS-SRTP handshake: the negotiated protection profile (RFC 5764 / RFC 7714 ids) and
 * the exported keying material, laid out client key | server key | client salt | server salt.
 */
public record SrtpKeys(int profile, byte[] material) {
    public static final int AES128_CM_HMAC_SHA1_80 = 0x0001;
    public static final int AEAD_AES_128_GCM = 0x0007;

    public static int keyLength(int profile) {
        return 16;
    }

    public static int saltLength(int profile) {
        return profile == AEAD_AES_128_GCM ? 12 : 14;
    }
}
