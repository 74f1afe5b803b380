package dev.visage.core.cluster;

import dev.visage.api.testing.TestPluginContext;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenKind;
import dev.visage.core.token.TokenService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;

import static dev.visage.core.testing.Failures.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterSecretTest {

    private static final String SECRET = "the secret of this test's cluster, 32+ characters";

    @TempDir
    Path dataDir;

    private TestPluginContext node(Map<String, String> settings) {
        return new TestPluginContext("node-a", dataDir, settings);
    }

    @Test
    void aTokenSignedByANodeWithAnotherSecretIsRejected() {
        TokenService ours = new TokenService(ClusterSecret.of(SECRET).derive(ClusterSecret.TOKEN_KEY), Clock.systemUTC());
        TokenService sameCluster = new TokenService(ClusterSecret.of(SECRET).derive(ClusterSecret.TOKEN_KEY), Clock.systemUTC());
        TokenService otherCluster = new TokenService(
                ClusterSecret.of("the secret of some other cluster, 32+ characters").derive(ClusterSecret.TOKEN_KEY), Clock.systemUTC());
        TokenClaims admin = TokenClaims.user("u1", "Ann", "admin", ours.nowSeconds() + 600);
        assertEquals("u1", ours.verify(sameCluster.issue(admin), TokenKind.USER).userId());
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> ours.verify(otherCluster.issue(admin), TokenKind.USER));
    }

    @Test
    void everyPurposeGetsItsOwnKeyAndNoneIsTheSecret() {
        ClusterSecret secret = ClusterSecret.of(SECRET);
        byte[] token = secret.derive(ClusterSecret.TOKEN_KEY);
        assertEquals(32, token.length);
        assertArrayEquals(token, ClusterSecret.of(SECRET).derive(ClusterSecret.TOKEN_KEY), "every node derives the same key");
        assertFalse(Arrays.equals(token, secret.derive(ClusterSecret.MESSAGE_KEY)));
        assertFalse(Arrays.equals(token, secret.derive("relay-srtp")));
        assertFalse(new String(token, java.nio.charset.StandardCharsets.ISO_8859_1).contains(SECRET.substring(0, 8)));
    }

    @Test
    void theSecretComesFromTheSettingThenTheFileThenTheNodesOwn() throws Exception {
        Path file = Files.writeString(dataDir.resolve("given.secret"), "  " + SECRET + "\n");
        byte[] expected = ClusterSecret.of(SECRET).derive("x");
        assertArrayEquals(expected, ClusterSecret.load(node(Map.of(ClusterSecret.SECRET_SETTING, SECRET))).derive("x"));
        assertArrayEquals(expected, ClusterSecret.load(node(Map.of(ClusterSecret.FILE_SETTING, file.toString()))).derive("x"));
        assertTrue(ClusterSecret.load(node(Map.of(ClusterSecret.FILE_SETTING, file.toString()))).origin()
                .contains("VISAGE_CLUSTER_SECRET_FILE"));
        assertFalse(Files.exists(dataDir.resolve("cluster.secret")), "a node given a secret keeps none of its own");

        ClusterSecret own = ClusterSecret.load(node(Map.of()));
        Path kept = dataDir.resolve("cluster.secret");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
        assertArrayEquals(own.derive("x"), ClusterSecret.load(node(Map.of())).derive("x"), "kept across restarts");
        assertFalse(Arrays.equals(expected, own.derive("x")));
    }

    @Test
    void aShortOrMissingSecretStopsTheNodeWithAClearMessage() {
        IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class,
                () -> ClusterSecret.load(node(Map.of(ClusterSecret.SECRET_SETTING, "too short"))));
        assertTrue(shortOne.getMessage().contains("openssl rand -base64 32"), shortOne.getMessage());
        RuntimeException missing = assertThrows(RuntimeException.class,
                () -> ClusterSecret.load(node(Map.of(ClusterSecret.FILE_SETTING, dataDir.resolve("nope").toString()))));
        assertTrue(missing.getMessage().contains("VISAGE_CLUSTER_SECRET_FILE"), missing.getMessage());
    }
}
