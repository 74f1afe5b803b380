package dev.visage.web.limit;

import dev.visage.api.plugin.PluginContext;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's rate limits, checked before any work they protect (a login is refused before its
 * Argon2id hash: 19 MiB and tens of milliseconds of a core each). Limits are per node: the
 * scarce thing, CPU, is per node, and a client talks to one node at a time. Every limit is a
 * setting (README, Configuration) in the {@link Rate} form {@code N/period}.
 */
public final class RateLimits {

    /** The limits by the name /metrics counts their refusals under. */
    public static final String LOGIN_ADDRESS = "login_address";
    public static final String LOGIN_USERNAME = "login_username";
    public static final String REGISTER_ADDRESS = "register_address";
    public static final String SESSIONS_USER = "sessions_user";
    public static final String SOCKET_MESSAGES = "socket_messages";
    public static final String CHAT = "chat";

    private final KeyedBuckets loginFailuresByAddress;
    private final LoginLockout lockout;
    private final KeyedBuckets registrationsByAddress;
    private final KeyedBuckets sessionsByUser;
    private final Rate socketMessages;
    private final Rate chat;
    private final Map<String, AtomicLong> refused = new TreeMap<>();

    public RateLimits(PluginContext config) {
        loginFailuresByAddress = new KeyedBuckets(rate(config, "visage.rate.login.address", "10/1m"));
        lockout = new LoginLockout(Integer.parseInt(config.setting("visage.rate.login.lockout.after").orElse("5")),
                Duration.ofSeconds(Long.parseLong(config.setting("visage.rate.login.lockout.max.seconds").orElse("900"))),
                System::nanoTime);
        registrationsByAddress = new KeyedBuckets(rate(config, "visage.rate.register.address", "30/1h"));
        sessionsByUser = new KeyedBuckets(rate(config, "visage.rate.sessions.user", "60/1m"));
        socketMessages = rate(config, "visage.rate.socket.messages", "200/10s");
        chat = rate(config, "visage.rate.chat", "20/10s");
        for (String limit : new String[]{LOGIN_ADDRESS, LOGIN_USERNAME, REGISTER_ADDRESS, SESSIONS_USER,
                SOCKET_MESSAGES, CHAT}) {
            refused.put(limit, new AtomicLong());
        }
    }

    private static Rate rate(PluginContext config, String name, String fallback) {
        return Rate.parse(config.setting(name).orElse(fallback));
    }

    /**
     * A login from {@code address} for {@code username} may go ahead (else 429). Its token is
     * taken now, so parallel attempts count before any of them is hashed; the attempt gives it
     * back unless it fails with bad credentials.
     */
    public LoginAttempt beginLogin(String address, String username) {
        String user = username == null ? "" : username;
        long locked = lockout.lockedFor(user);
        if (locked > 0) {
            throw refuse(LOGIN_USERNAME, "too many failed logins for this username; try again later", locked);
        }
        long wait = loginFailuresByAddress.take(address);
        if (wait > 0) {
            throw refuse(LOGIN_ADDRESS, "too many failed logins from this address; try again later", wait);
        }
        return new LoginAttempt(address, user);
    }

    /** One login between its check and its outcome. */
    public final class LoginAttempt {
        private final String address;
        private final String username;

        private LoginAttempt(String address, String username) {
            this.address = address;
            this.username = username;
        }

        public void succeeded() {
            loginFailuresByAddress.giveBack(address);
            lockout.succeeded(username);
        }

        public void failed() {
            lockout.failed(username);
        }

        /** It ended for another reason (the store is down, bad input): it does not count. */
        public void abandoned() {
            loginFailuresByAddress.giveBack(address);
        }
    }

    public void checkRegistration(String address) {
        long wait = registrationsByAddress.take(address);
        if (wait > 0) {
            throw refuse(REGISTER_ADDRESS, "too many registrations from this address; try again later", wait);
        }
    }

    public void checkNewSession(String userId) {
        long wait = sessionsByUser.take(userId);
        if (wait > 0) {
            throw refuse(SESSIONS_USER, "too many new sessions for this user; try again later", wait);
        }
    }

    /** The limits of one signalling socket: its messages, and its chat among them. */
    public ConnectionLimits forConnection() {
        return new ConnectionLimits(socketMessages.newBucket(), chat.newBucket());
    }

    public final class ConnectionLimits {
        private final Bucket messages;
        private final Bucket chats;

        private ConnectionLimits(Bucket messages, Bucket chats) {
            this.messages = messages;
            this.chats = chats;
        }

        public void checkMessage() {
            take(messages, SOCKET_MESSAGES, "too many messages on this connection; slow down");
        }

        public void checkChat() {
            take(chats, CHAT, "too many chat messages; slow down");
        }

        private void take(Bucket bucket, String limit, String message) {
            ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
            if (!probe.isConsumed()) {
                throw refuse(limit, message, Math.max(1, probe.getNanosToWaitForRefill()));
            }
        }
    }

    /** Refusals so far, by limit name: {@code visage_rate_limited_total{limit=...}} in /metrics. */
    public Map<String, AtomicLong> refused() {
        return refused;
    }

    private RateLimitedException refuse(String limit, String message, long retryAfterNanos) {
        refused.get(limit).incrementAndGet();
        return new RateLimitedException(limit, message, retryAfterNanos);
    }
}
