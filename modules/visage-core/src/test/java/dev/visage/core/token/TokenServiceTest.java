package dev.visage.core.token;

import dev.visage.core.error.ErrorCode;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;

import static dev.visage.core.testing.Failures.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TokenServiceTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final byte[] SECRET = secret((byte) 7);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final TokenService tokens = new TokenService(SECRET, at(NOW));
    private final long exp = NOW.getEpochSecond() + 600;

    private static byte[] secret(byte fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, fill);
        return key;
    }

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    /** A token signed with the real key, so only the payload decides the outcome. */
    private static String signed(String json) throws Exception {
        String payload = B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        return payload + "." + B64.encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void userTokenRoundTrips() {
        TokenClaims claims = TokenClaims.user("u1", "Ann", "user", exp);
        assertEquals(claims, tokens.verify(tokens.issue(claims), TokenKind.USER));
    }

    @Test
    void sessionTokenRoundTrips() {
        TokenClaims claims = TokenClaims.session("u1", "Ann", "s1", "node-1", exp);
        TokenClaims back = tokens.verify(tokens.issue(claims), TokenKind.SESSION);
        assertEquals(claims, back);
        assertNull(back.roomId());
    }

    @Test
    void roomTokenRoundTrips() {
        TokenClaims claims = TokenClaims.room("u1", "Ann Ö 🎥 \"quoted\"", "s1", "room1", exp);
        assertEquals(claims, tokens.verify(tokens.issue(claims), TokenKind.ROOM));
    }

    @Test
    void anotherNodeWithTheSameKeyVerifies() {
        String token = tokens.issue(TokenClaims.user("u1", "Ann", "user", exp));
        TokenService otherNode = new TokenService(secret((byte) 7), at(NOW.plusSeconds(10)));
        assertEquals("u1", otherNode.verify(token, TokenKind.USER).userId());
    }

    @Test
    void forgedSignatureIsRejected() {
        TokenService forger = new TokenService(secret((byte) 8), at(NOW));
        String forged = forger.issue(TokenClaims.user("admin", "Admin", "user", exp));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(forged, TokenKind.USER));
    }

    @Test
    void tamperedPayloadIsRejected() {
        String token = tokens.issue(TokenClaims.user("u1", "Ann", "user", exp));
        String signature = token.substring(token.indexOf('.') + 1);
        String otherPayload = tokens.issue(TokenClaims.user("u2", "Bob", "user", exp));
        otherPayload = otherPayload.substring(0, otherPayload.indexOf('.'));
        String spliced = otherPayload + "." + signature;
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(spliced, TokenKind.USER));

        char[] chars = token.toCharArray();
        chars[5] = chars[5] == 'A' ? 'B' : 'A';
        String flipped = new String(chars);
        assertNotEquals(token, flipped);
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(flipped, TokenKind.USER));
    }

    @Test
    void tamperedSignatureIsRejected() {
        String token = tokens.issue(TokenClaims.user("u1", "Ann", "user", exp));
        String cut = token.substring(0, token.length() - 2);
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(cut, TokenKind.USER));
        String payloadOnly = token.substring(0, token.indexOf('.') + 1);
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(payloadOnly, TokenKind.USER));
    }

    @Test
    void wrongKindIsRejected() {
        String user = tokens.issue(TokenClaims.user("u1", "Ann", "user", exp));
        String session = tokens.issue(TokenClaims.session("u1", "Ann", "s1", "node-1", exp));
        String room = tokens.issue(TokenClaims.room("u1", "Ann", "s1", "r1", exp));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(user, TokenKind.SESSION));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(user, TokenKind.ROOM));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(session, TokenKind.USER));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(session, TokenKind.ROOM));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(room, TokenKind.SESSION));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(room, TokenKind.USER));
    }

    @Test
    void expiredTokenIsRejectedByTheFixedClock() {
        String token = tokens.issue(TokenClaims.user("u1", "Ann", "user", NOW.getEpochSecond() + 60));
        TokenService oneSecondBefore = new TokenService(SECRET, at(NOW.plusSeconds(59)));
        TokenService atExpiry = new TokenService(SECRET, at(NOW.plusSeconds(60)));
        TokenService later = new TokenService(SECRET, at(NOW.plusSeconds(3600)));
        assertEquals("u1", oneSecondBefore.verify(token, TokenKind.USER).userId());
        assertFailsWith(ErrorCode.TOKEN_EXPIRED, () -> atExpiry.verify(token, TokenKind.USER));
        assertFailsWith(ErrorCode.TOKEN_EXPIRED, () -> later.verify(token, TokenKind.USER));
    }

    @Test
    void missingTokenIsTokenMissing() {
        assertFailsWith(ErrorCode.TOKEN_MISSING, () -> tokens.verify(null, TokenKind.USER));
        assertFailsWith(ErrorCode.TOKEN_MISSING, () -> tokens.verify("", TokenKind.USER));
        assertFailsWith(ErrorCode.TOKEN_MISSING, () -> tokens.verify("   ", TokenKind.USER));
    }

    @Test
    void garbageTokensAreInvalid() {
        for (String garbage : new String[]{"abc", ".", "a.", ".b", "a.b.c", "not base64!.x", "%%%.%%%",
                "eyJrIjoidSJ9", "eyJrIjoidSJ9.", "\u0000.\u0000", "ö.ä", "a..b"}) {
            assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(garbage, TokenKind.USER));
        }
    }

    @Test
    void oversizedTokenIsInvalidWithoutBeingParsed() {
        String valid = tokens.issue(TokenClaims.user("u1", "Ann", "user", exp));
        String huge = valid + "A".repeat(10 * 1024 * 1024);
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(huge, TokenKind.USER));
        String justOver = "A".repeat(4097 - 44) + "." + "A".repeat(43);
        assertEquals(4097, justOver.length());
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(justOver, TokenKind.USER));
    }

    @Test
    void longDisplayNameStillFitsUnderTheSizeLimit() {
        TokenClaims claims = TokenClaims.room("u".repeat(16), "n".repeat(64), "s".repeat(22), "r".repeat(10), exp);
        assertEquals(claims, tokens.verify(tokens.issue(claims), TokenKind.ROOM));
    }

    @Test
    void correctlySignedButMalformedClaimsAreInvalid() throws Exception {
        String[] payloads = {
                "not json",
                "[1,2]",
                "\"k\"",
                "{}",
                "{\"k\":\"x\",\"u\":\"u1\",\"e\":9999999999}",
                "{\"k\":\"u\",\"e\":9999999999}",
                "{\"k\":\"u\",\"u\":5,\"e\":9999999999}",
                "{\"k\":\"u\",\"u\":\"u1\"}",
                "{\"k\":\"u\",\"u\":\"u1\",\"e\":\"soon\"}",
                "{\"k\":\"u\",\"u\":\"u1\",\"e\":1.5}",
                "{\"k\":\"u\",\"u\":\"u1\",\"e\":1e40}",
                "{\"k\":1,\"u\":\"u1\",\"e\":9999999999}",
        };
        for (String json : payloads) {
            String token = signed(json);
            assertFailsWith(ErrorCode.TOKEN_INVALID, () -> tokens.verify(token, TokenKind.USER));
        }
        // and the control: the same construction with good claims verifies
        assertEquals("u1", tokens.verify(signed("{\"k\":\"u\",\"u\":\"u1\",\"e\":9999999999}"), TokenKind.USER)
                .userId());
    }

    @Test
    void shortSecretIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TokenService(new byte[31], at(NOW)));
    }
}
