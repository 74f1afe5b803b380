package dev.visage.core.id;

import java.security.SecureRandom;

/** URL-safe random identifiers for rooms, sessions and users. */
public final class RandomIds {

    private static final char[] ALPHABET =
            "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private RandomIds() {
    }

    /** A room id: short enough to read aloud, with ~58 bits of entropy. */
    public static String roomId() {
        return of(10);
    }

    /** A session id: one per WebSocket connection, unguessable. */
    public static String sessionId() {
        return of(22);
    }

    public static String of(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }
}
