package dev.visage.users.mongo;

import dev.visage.api.user.DuplicateUsernameException;
import dev.visage.api.user.User;
import dev.visage.api.user.UserStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MongoUserStoreTest {

    @TempDir
    Path dataDir;

    private MongoStorePlugin plugin;
    private UserStore users;

    @BeforeEach
    void startPlugin() throws Exception {
        plugin = TestContext.startedPlugin(TestContext.of(dataDir));
        users = plugin.users();
    }

    @AfterEach
    void closePlugin() {
        plugin.close();
    }

    static User newUser(String username) {
        return new User(null, username, "Display " + username, "$argon2id$hash", "user",
                Instant.now());
    }

    @Test
    void createdUserGetsAUrlSafeIdAndIsFoundByNameAndById() throws Exception {
        User created = users.create(newUser("alice"));

        assertTrue(created.id().matches("[A-Za-z0-9_-]{22}"), created.id());
        assertEquals(created, users.findByUsername("alice").orElseThrow());
        assertEquals(created, users.findById(created.id()).orElseThrow());
        assertEquals(1, users.count());
    }

    @Test
    void aRoleSetOnAUserIsWhatFindAndWithRoleSee() throws Exception {
        User dan = users.create(newUser("dan"));
        users.create(newUser("erin"));

        assertTrue(users.setRole(dan.id(), "admin"));
        assertEquals("admin", users.findById(dan.id()).orElseThrow().role());
        assertEquals(List.of("dan"), users.withRole("admin").stream().map(User::username).toList());
        assertEquals(List.of("erin"), users.withRole("user").stream().map(User::username).toList());
        assertFalse(users.setRole("no-such-id", "admin"));
    }

    @Test
    void registeringATakenUsernameThrowsDuplicateUsername() throws Exception {
        users.create(newUser("bob"));

        assertThrows(DuplicateUsernameException.class, () -> users.create(newUser("bob")));
        assertEquals(1, users.count());
    }

    @Test
    void usernamesDifferingOnlyInCaseAreDistinctUsers() throws Exception {
        User lower = users.create(newUser("carol"));
        User upper = users.create(newUser("Carol"));

        assertNotEquals(lower.id(), upper.id());
        assertEquals(2, users.count());
    }

    @Test
    void ofTwentyConcurrentRegistrationsOfOneUsernameExactlyOneSucceeds() throws Exception {
        int attempts = 20;
        CountDownLatch startTogether = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(attempts);
        try {
            List<Future<User>> results = new ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                Callable<User> register = () -> {
                    startTogether.await();
                    return users.create(newUser("dave"));
                };
                results.add(pool.submit(register));
            }
            startTogether.countDown();

            int succeeded = 0;
            int rejected = 0;
            for (Future<User> result : results) {
                try {
                    result.get();
                    succeeded++;
                } catch (ExecutionException e) {
                    assertInstanceOf(DuplicateUsernameException.class, e.getCause());
                    rejected++;
                }
            }
            assertEquals(1, succeeded);
            assertEquals(attempts - 1, rejected);
            assertEquals(1, users.count());
        } finally {
            pool.shutdownNow();
        }
    }
}
