package dev.visage.core.user;

import dev.visage.api.user.DuplicateUsernameException;
import dev.visage.api.user.User;
import dev.visage.api.user.UserStore;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.id.RandomIds;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenKind;
import dev.visage.core.token.TokenService;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Registration and login: validates input, hashes passwords, issues user tokens carrying the
 * user's role. Also the admin role: who gets it from configuration, who grants and revokes it, and
 * the check every admin call goes through.
 */
public final class AccountService {

    private static final Logger LOG = Logger.getLogger(AccountService.class.getName());
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3,32}");
    private static final int MIN_PASSWORD = 8;
    /** Argon2 hashes any length, but a bound keeps a request from pinning a CPU. */
    private static final int MAX_PASSWORD = 1024;
    private static final int MAX_DISPLAY_NAME = 64;
    /** Hash of a random password, verified against on unknown usernames so timing says nothing. */
    private final String decoyHash;

    private final UserStore users;
    private final PasswordHasher hasher;
    private final TokenService tokens;
    private final Duration userTokenTtl;
    private final Clock clock;
    /** Usernames that are admins by configuration (VISAGE_ADMIN_USERS). */
    private final Set<String> configuredAdmins;

    public AccountService(UserStore users, PasswordHasher hasher, TokenService tokens, Duration userTokenTtl,
                          Clock clock, Set<String> configuredAdmins) {
        this.users = users;
        this.hasher = hasher;
        this.tokens = tokens;
        this.userTokenTtl = userTokenTtl;
        this.clock = clock;
        this.configuredAdmins = Set.copyOf(configuredAdmins);
        this.decoyHash = hasher.hash(RandomIds.of(16));
    }

    public User register(String username, String password, String displayName) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new VisageException(ErrorCode.INVALID_USERNAME,
                    "username must be 3-32 characters of letters, digits, '.', '_' or '-'");
        }
        checkPassword(password);
        String name = displayName == null || displayName.isBlank() ? username : displayName.strip();
        if (name.length() > MAX_DISPLAY_NAME || name.codePoints().anyMatch(AccountService::hiddenOrControl)) {
            throw new VisageException(ErrorCode.INVALID_DISPLAY_NAME, "display name must be at most "
                    + MAX_DISPLAY_NAME + " printable characters, without control or format (e.g. bidi) characters");
        }
        String role = configuredAdmins.contains(username) ? User.ROLE_ADMIN : User.ROLE_USER;
        User user = new User(RandomIds.of(16), username, name, hasher.hash(password), role, clock.instant());
        try {
            return users.create(user);
        } catch (DuplicateUsernameException e) {
            throw new VisageException(ErrorCode.USERNAME_TAKEN, "username '" + username + "' is already taken");
        }
    }

    /** Returns a user token, or fails with bad_credentials whatever was wrong. */
    public String login(String username, String password) {
        if (username == null || password == null || password.length() > MAX_PASSWORD) {
            throw badCredentials();
        }
        Optional<User> user = USERNAME.matcher(username).matches() ? users.findByUsername(username) : Optional.empty();
        boolean ok = hasher.verify(password, user.map(User::passwordHash).orElse(decoyHash));
        if (user.isEmpty() || !ok) {
            throw badCredentials();
        }
        User u = user.get();
        return tokens.issue(TokenClaims.user(u.id(), u.displayName(), u.role(),
                tokens.nowSeconds() + userTokenTtl.toSeconds()));
    }

    /**
     * Start-up: the configured admins that are already registered get the role (those who
     * register later get it at registration). A configured admin revoked in the console is an
     * admin again after the next start, as the configuration says.
     */
    public void applyConfiguredAdmins() {
        for (String username : configuredAdmins) {
            users.findByUsername(username).filter(u -> !u.isAdmin()).ifPresent(u -> {
                users.setRole(u.id(), User.ROLE_ADMIN);
                LOG.info(() -> "user " + username + " is an admin by configuration");
            });
        }
    }

    /**
     * The admin behind a user token, checked on every admin call: the token must say admin and
     * the store must still say so (a revoked admin's token stops working at once).
     *
     * @throws VisageException 401 for a missing or bad token, 403 {@code admin_required} otherwise
     */
    public User requireAdmin(String userToken) {
        TokenClaims claims = tokens.verify(userToken, TokenKind.USER);
        Optional<User> user = User.ROLE_ADMIN.equals(claims.role()) ? users.findById(claims.userId()) : Optional.empty();
        return user.filter(User::isAdmin).orElseThrow(() -> new VisageException(ErrorCode.ADMIN_REQUIRED,
                "this needs the admin role"));
    }

    /**
     * Grants ({@code admin}) or revokes ({@code user}) the admin role. An admin cannot revoke
     * their own role, so the console never locks out the last operator by a slip.
     */
    public User setRole(User actor, String username, String role) {
        if (!User.ROLE_ADMIN.equals(role) && !User.ROLE_USER.equals(role)) {
            throw new VisageException(ErrorCode.INVALID_ROLE, "role must be 'admin' or 'user'");
        }
        User user = (username == null ? Optional.<User>empty() : users.findByUsername(username))
                .orElseThrow(() -> new VisageException(ErrorCode.USER_NOT_FOUND, "no user named '" + username + "'"));
        if (user.id().equals(actor.id()) && !User.ROLE_ADMIN.equals(role)) {
            throw new VisageException(ErrorCode.CANNOT_REVOKE_SELF, "an admin cannot revoke their own role");
        }
        users.setRole(user.id(), role);
        return new User(user.id(), user.username(), user.displayName(), user.passwordHash(), role, user.createdAt());
    }

    public List<User> admins() {
        return users.withRole(User.ROLE_ADMIN);
    }

    /** The user behind a user token; fails if the token is bad or the user no longer exists. */
    public User authenticate(String userToken) {
        TokenClaims claims = tokens.verify(userToken, TokenKind.USER);
        return users.findById(claims.userId())
                .orElseThrow(() -> new VisageException(ErrorCode.TOKEN_INVALID, "the user no longer exists"));
    }

    /**
     * Control characters, and Unicode format characters (category Cf): the bidi controls
     * (U+202A-202E, U+2066-2069, U+200E/F, U+061C) that make a name read as another in the member
     * list and chat, zero-width joiners and spaces, soft hyphens.
     */
    private static boolean hiddenOrControl(int codePoint) {
        return Character.isISOControl(codePoint) || Character.getType(codePoint) == Character.FORMAT;
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
            throw new VisageException(ErrorCode.INVALID_PASSWORD,
                    "password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
        }
    }

    private static VisageException badCredentials() {
        return new VisageException(ErrorCode.BAD_CREDENTIALS, "wrong username or password");
    }
}
