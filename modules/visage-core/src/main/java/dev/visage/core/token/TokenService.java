package dev.visage.core.token;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;

/**
 * Issues and verifies Visage tokens: {@code base64url(json claims) "." base64url(HMAC-SHA256)}.
 * The key is shared by every node of the cluster, so any node verifies what another issued.
 */
public final class TokenService {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    private static final int MAX_TOKEN_LENGTH = 4096;

    private final SecretKeySpec key;
    private final Clock clock;

    public TokenService(byte[] secret, Clock clock) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("token secret must have at least 256 bits");
        }
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        this.clock = clock;
    }

    public long nowSeconds() {
        return clock.instant().getEpochSecond();
    }

    public String issue(TokenClaims claims) {
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("k", claims.kind().wire())
                .add("u", claims.userId())
                .add("n", claims.displayName())
                .add("e", claims.expiresAt());
        if (claims.sessionId() != null) {
            json.add("s", claims.sessionId());
        }
        if (claims.roomId() != null) {
            json.add("r", claims.roomId());
        }
        if (claims.nodeId() != null) {
            json.add("o", claims.nodeId());
        }
        if (claims.role() != null) {
            json.add("ro", claims.role());
        }
        String payload = ENCODER.encodeToString(json.build().toString().getBytes(StandardCharsets.UTF_8));
        return payload + "." + ENCODER.encodeToString(sign(payload));
    }

    /**
     * Verifies signature, kind and expiry.
     *
     * @throws VisageException token_missing, token_invalid or token_expired
     */
    public TokenClaims verify(String token, TokenKind expected) {
        if (token == null || token.isBlank()) {
            throw new VisageException(ErrorCode.TOKEN_MISSING, "a token is required");
        }
        int dot = token.indexOf('.');
        if (token.length() > MAX_TOKEN_LENGTH || dot <= 0 || dot != token.lastIndexOf('.')) {
            throw invalid();
        }
        String payload = token.substring(0, dot);
        byte[] signature;
        byte[] json;
        try {
            signature = DECODER.decode(token.substring(dot + 1));
            json = DECODER.decode(payload);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (!MessageDigest.isEqual(sign(payload), signature)) {
            throw invalid();
        }
        TokenClaims claims = parse(json);
        if (claims.kind() != expected) {
            throw new VisageException(ErrorCode.TOKEN_INVALID, "expected a " + expected.name().toLowerCase() + " token");
        }
        if (claims.expiresAt() <= nowSeconds()) {
            throw new VisageException(ErrorCode.TOKEN_EXPIRED, "the token has expired");
        }
        return claims;
    }

    private static TokenClaims parse(byte[] json) {
        try (JsonReader reader = JSON.createReader(new StringReader(new String(json, StandardCharsets.UTF_8)))) {
            JsonObject o = reader.readObject();
            TokenKind kind = TokenKind.fromWire(o.getString("k", ""));
            if (kind == null) {
                throw invalid();
            }
            return new TokenClaims(kind, o.getString("u"), o.getString("n", ""), o.getString("s", null),
                    o.getString("r", null), o.getString("o", null), o.getJsonNumber("e").longValueExact(),
                    o.getString("ro", null));
        } catch (JsonException | ClassCastException | NullPointerException | ArithmeticException e) {
            throw invalid();
        }
    }

    private byte[] sign(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static VisageException invalid() {
        return new VisageException(ErrorCode.TOKEN_INVALID, "the token is not valid");
    }
}
