package dev.visage.web.rest;

/** Reads the token out of an {@code Authorization: Bearer <token>} header. */
final class BearerToken {

    private BearerToken() {
    }

    static String from(String authorization) {
        if (authorization == null) {
            return null;
        }
        String prefix = "Bearer ";
        return authorization.regionMatches(true, 0, prefix, 0, prefix.length())
                ? authorization.substring(prefix.length()).trim() : null;
    }
}
