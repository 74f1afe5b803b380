package dev.visage.web.limit;

import dev.visage.core.config.NodeConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitsTest {

    @Test
    void ratesReadAsCountPerPeriod() {
        assertEquals(new Rate(10, Duration.ofMinutes(1)), Rate.parse("10/1m"));
        assertEquals(new Rate(200, Duration.ofSeconds(10)), Rate.parse(" 200/10s "));
        assertEquals(new Rate(30, Duration.ofHours(1)), Rate.parse("30/1h"));
        assertThrows(IllegalArgumentException.class, () -> Rate.parse("10 per minute"));
        assertThrows(IllegalArgumentException.class, () -> Rate.parse("0/1m"));
    }

    @Test
    void failedLoginsOfAnAddressRunOutAndGoodOnesGiveTheirTokenBack() {
        RateLimits limits = new RateLimits(config(Map.of("visage.rate.login.address", "3/1h")));
        for (int i = 0; i < 10; i++) {
            limits.beginLogin("10.0.0.1", "ann").succeeded();
        }
        for (int i = 0; i < 3; i++) {
            limits.beginLogin("10.0.0.1", "user" + i).failed();
        }
        RateLimitedException refused = assertThrows(RateLimitedException.class,
                () -> limits.beginLogin("10.0.0.1", "ann"));
        assertEquals(RateLimits.LOGIN_ADDRESS, refused.limit());
        assertTrue(refused.retryAfterSeconds() >= 1 && refused.retryAfterSeconds() <= 1200, "" + refused.retryAfterSeconds());
        limits.beginLogin("10.0.0.2", "ann").succeeded(); // another address is not affected
        assertEquals(1, limits.refused().get(RateLimits.LOGIN_ADDRESS).get());
    }

    @Test
    void aUsernameIsLockedAfterFiveFailuresForLongerAfterEachFurtherOneAndAGoodLoginStartsOver() {
        AtomicLong now = new AtomicLong();
        LoginLockout lockout = new LoginLockout(5, Duration.ofMinutes(15), now::get);
        for (int i = 0; i < 4; i++) {
            lockout.failed("ann");
        }
        assertEquals(0, lockout.lockedFor("ann"));
        lockout.failed("ann");
        assertEquals(Duration.ofSeconds(30).toNanos(), lockout.lockedFor("ann"));
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertEquals(0, lockout.lockedFor("ann"));
        lockout.failed("ann");
        assertEquals(Duration.ofSeconds(60).toNanos(), lockout.lockedFor("ann"));
        for (int i = 0; i < 10; i++) {
            lockout.failed("ann");
        }
        assertEquals(Duration.ofMinutes(15).toNanos(), lockout.lockedFor("ann"), "capped");
        assertEquals(0, lockout.lockedFor("bob"));
        lockout.succeeded("ann");
        assertEquals(0, lockout.lockedFor("ann"));
    }

    @Test
    void eachConnectionHasItsOwnBuckets() {
        RateLimits limits = new RateLimits(config(Map.of("visage.rate.chat", "2/1h")));
        RateLimits.ConnectionLimits first = limits.forConnection();
        first.checkChat();
        first.checkChat();
        assertEquals(RateLimits.CHAT, assertThrows(RateLimitedException.class, first::checkChat).limit());
        limits.forConnection().checkChat();
    }

    private static NodeConfig config(Map<String, String> settings) {
        return new NodeConfig(settings::get);
    }
}
