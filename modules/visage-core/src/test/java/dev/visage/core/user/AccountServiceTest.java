package dev.visage.core.user;

import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.user.User;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.testing.TestStore;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenKind;
import dev.visage.core.token.TokenService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.visage.core.testing.Failures.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AccountService on the real store plugin (embedded MongoDB on a file in a temp dir). */
class AccountServiceTest {

    @TempDir
    static Path dataDir;

    private static StorePlugin store;
    private static TokenService tokens;
    private static AccountService accounts;
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final String CONFIGURED_ADMIN = "root_admin";

    @BeforeAll
    static void start() throws Exception {
        store = TestStore.start(dataDir);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        tokens = new TokenService(key, Clock.systemUTC());
        accounts = accountsWithAdmins(Set.of(CONFIGURED_ADMIN));
    }

    private static AccountService accountsWithAdmins(Set<String> admins) {
        return new AccountService(store.users(), new PasswordHasher(), tokens, Duration.ofHours(1), Clock.systemUTC(),
                admins);
    }

    @AfterAll
    static void stop() {
        if (store != null) {
            store.close();
        }
    }

    private static String freshName() {
        return "user_" + NAMES.incrementAndGet();
    }

    @Test
    void registeredUserCanLogInAndTheTokenNamesThem() {
        String name = freshName();
        User user = accounts.register(name, "s3cret-password", "  Ann Example  ");
        assertEquals(name, user.username());
        assertEquals("Ann Example", user.displayName());
        assertEquals("user", user.role());
        assertTrue(user.passwordHash().startsWith("$argon2id$"));

        String token = accounts.login(name, "s3cret-password");
        TokenClaims claims = tokens.verify(token, TokenKind.USER);
        assertEquals(user.id(), claims.userId());
        assertEquals("Ann Example", claims.displayName());
        assertEquals(user.id(), accounts.authenticate(token).id());
    }

    @Test
    void blankDisplayNameDefaultsToTheUsername() {
        String name = freshName();
        assertEquals(name, accounts.register(name, "s3cret-password", null).displayName());
        String other = freshName();
        assertEquals(other, accounts.register(other, "s3cret-password", "   ").displayName());
    }

    @Test
    void usernamesOfWrongLengthOrCharactersAreRejected() {
        for (String bad : new String[]{null, "", "ab", "x".repeat(33), "bad\u0000name", "bad\nname", "tab\tname",
                "bell\u0007name", "with space", "slash/name", "ünïcode", "emoji🎥x", "semi;colon"}) {
            assertFailsWith(ErrorCode.INVALID_USERNAME, () -> accounts.register(bad, "s3cret-password", null));
        }
        // the boundaries are accepted
        accounts.register(String.format("z%02d", NAMES.incrementAndGet() % 100), "s3cret-password", null);
        accounts.register(("L" + NAMES.incrementAndGet() + "x".repeat(32)).substring(0, 32), "s3cret-password", null);
    }

    @Test
    void emptyShortAndOverlongPasswordsAreRejected() {
        assertFailsWith(ErrorCode.INVALID_PASSWORD, () -> accounts.register(freshName(), null, null));
        assertFailsWith(ErrorCode.INVALID_PASSWORD, () -> accounts.register(freshName(), "", null));
        assertFailsWith(ErrorCode.INVALID_PASSWORD, () -> accounts.register(freshName(), "7chars!", null));
        assertFailsWith(ErrorCode.INVALID_PASSWORD, () -> accounts.register(freshName(), "x".repeat(1025), null));
        accounts.register(freshName(), "8chars!!", null);
        accounts.register(freshName(), "x".repeat(1024), null);
    }

    @Test
    void tenMegabytePasswordIsRejectedWithoutBeingHashed() {
        String huge = "p".repeat(10 * 1024 * 1024);
        // Argon2 over 10 MB would take seconds; the length check must answer at once.
        assertTimeoutPreemptively(Duration.ofMillis(500), () ->
                assertFailsWith(ErrorCode.INVALID_PASSWORD, () -> accounts.register(freshName(), huge, null)));
        String name = freshName();
        accounts.register(name, "s3cret-password", null);
        assertTimeoutPreemptively(Duration.ofMillis(500), () ->
                assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name, huge)));
    }

    @Test
    void controlCharactersOrOverlongDisplayNamesAreRejected() {
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME, () -> accounts.register(freshName(), "s3cret-password", "a\u0000b"));
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME, () -> accounts.register(freshName(), "s3cret-password", "a\nb"));
        // "Ann" followed by a right-to-left override: the member list would show what follows reversed
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME, () -> accounts.register(freshName(), "s3cret-password", "Ann\u202Enimda"));
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME, () -> accounts.register(freshName(), "s3cret-password", "\u2067Ann"));
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME, () -> accounts.register(freshName(), "s3cret-password", "A\u200Dnn"));
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME, () -> accounts.register(freshName(), "s3cret-password", "Ann\u200F"));
        assertEquals("Zoë 🎥 李", accounts.register(freshName(), "s3cret-password", "Zoë 🎥 李").displayName(),
                "letters of any script and emoji stay allowed");
        assertFailsWith(ErrorCode.INVALID_DISPLAY_NAME,
                () -> accounts.register(freshName(), "s3cret-password", "d".repeat(65)));
    }

    @Test
    void duplicateUsernameIsUsernameTaken() {
        String name = freshName();
        User first = accounts.register(name, "s3cret-password", null);
        assertFailsWith(ErrorCode.USERNAME_TAKEN, () -> accounts.register(name, "another-password", null));
        // the first account is untouched
        assertEquals(first.id(), accounts.authenticate(accounts.login(name, "s3cret-password")).id());
        assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name, "another-password"));
    }

    @Test
    void concurrentRegistrationsOfOneNameYieldExactlyOneAccount() throws Exception {
        String name = freshName();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<String> attempt = () -> {
                    start.await();
                    try {
                        accounts.register(name, "s3cret-password", null);
                        return "ok";
                    } catch (VisageException e) {
                        return e.code().name();
                    }
                };
                results.add(pool.submit(attempt));
            }
            start.countDown();
            int ok = 0;
            int taken = 0;
            for (Future<String> r : results) {
                String outcome = r.get();
                if (outcome.equals("ok")) {
                    ok++;
                } else if (outcome.equals("USERNAME_TAKEN")) {
                    taken++;
                }
            }
            assertEquals(1, ok);
            assertEquals(threads - 1, taken);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void wrongPasswordIsBadCredentials() {
        String name = freshName();
        accounts.register(name, "s3cret-password", null);
        assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name, "wrong-password"));
        assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name, ""));
        assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name, null));
    }

    @Test
    void unknownUserIsBadCredentialsToo() {
        VisageException unknown = assertFailsWith(ErrorCode.BAD_CREDENTIALS,
                () -> accounts.login("nobody_" + System.nanoTime(), "s3cret-password"));
        String name = freshName();
        accounts.register(name, "s3cret-password", null);
        VisageException wrong = assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name, "nope-nope"));
        assertEquals(wrong.getMessage(), unknown.getMessage(), "the two failures must be indistinguishable");
        assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(null, "s3cret-password"));
    }

    @Test
    void usernamesAreCaseSensitive() {
        String name = "Case" + NAMES.incrementAndGet();
        accounts.register(name, "s3cret-password", null);
        assertFailsWith(ErrorCode.BAD_CREDENTIALS, () -> accounts.login(name.toLowerCase(), "s3cret-password"));
    }

    @Test
    void authenticateRejectsOtherKindsAndForeignTokens() {
        String name = freshName();
        User user = accounts.register(name, "s3cret-password", null);
        String session = tokens.issue(TokenClaims.session(user.id(), name, "s1", "node-1", tokens.nowSeconds() + 60));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> accounts.authenticate(session));
        String ghost = tokens.issue(TokenClaims.user("no-such-user", "Ghost", "user", tokens.nowSeconds() + 60));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> accounts.authenticate(ghost));
        assertFailsWith(ErrorCode.TOKEN_MISSING, () -> accounts.authenticate(null));
        assertNotEquals(user.id(), "no-such-user");
    }

    @Test
    void aConfiguredAdminRegistersAsAdminAndTheTokenSaysSo() {
        User admin = accounts.register(CONFIGURED_ADMIN, "s3cret-password", null);
        assertEquals("admin", admin.role());
        String token = accounts.login(CONFIGURED_ADMIN, "s3cret-password");
        assertEquals("admin", tokens.verify(token, TokenKind.USER).role());
        assertEquals(admin.id(), accounts.requireAdmin(token).id());
    }

    @Test
    void aPlainUserIsRefusedEvenWithATokenThatClaimsAdmin() {
        String name = freshName();
        User user = accounts.register(name, "s3cret-password", null);
        assertFailsWith(ErrorCode.ADMIN_REQUIRED, () -> accounts.requireAdmin(accounts.login(name, "s3cret-password")));
        String claimsAdmin = tokens.issue(TokenClaims.user(user.id(), name, "admin", tokens.nowSeconds() + 60));
        assertFailsWith(ErrorCode.ADMIN_REQUIRED, () -> accounts.requireAdmin(claimsAdmin));
        assertFailsWith(ErrorCode.TOKEN_MISSING, () -> accounts.requireAdmin(null));
    }

    @Test
    void anAdminGrantsTheRoleAndARevokedAdminIsRefusedAtOnce() {
        String adminName = freshName();
        String name = freshName();
        accounts.register(adminName, "s3cret-password", null);
        accounts.register(name, "s3cret-password", null);
        AccountService configured = accountsWithAdmins(Set.of(adminName));
        configured.applyConfiguredAdmins(); // start-up: the already registered user becomes an admin
        User actor = configured.requireAdmin(configured.login(adminName, "s3cret-password"));
        assertEquals("admin", accounts.setRole(actor, name, "admin").role());
        String token = accounts.login(name, "s3cret-password");
        assertEquals(name, accounts.requireAdmin(token).username());
        assertTrue(accounts.admins().stream().anyMatch(u -> u.username().equals(name)));

        accounts.setRole(actor, name, "user");
        assertFailsWith(ErrorCode.ADMIN_REQUIRED, () -> accounts.requireAdmin(token));
        assertFailsWith(ErrorCode.CANNOT_REVOKE_SELF, () -> accounts.setRole(actor, adminName, "user"));
        assertFailsWith(ErrorCode.INVALID_ROLE, () -> accounts.setRole(actor, name, "root"));
        assertFailsWith(ErrorCode.USER_NOT_FOUND, () -> accounts.setRole(actor, "nobody_here", "admin"));
    }
}
