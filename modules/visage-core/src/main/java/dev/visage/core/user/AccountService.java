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
import java.util.Optional;
import java.util.regex.Pattern;

/** Registration and login: validates input, hashes passwords, issues user tokens. */
public final class AccountService {

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

    public AccountService(UserStore users, PasswordHasher hasher, TokenService tokens, Duration userTokenTtl,
                          Clock clock) {
        this.users = users;
        this.hasher = hasher;
        this.tokens = tokens;
        this.userTokenTtl = userTokenTtl;
        this.clock = clock;
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
        User user = new User(RandomIds.of(16), username, name, hasher.hash(password), "user", clock.instant());
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
        return tokens.issue(TokenClaims.user(u.id(), u.displayName(),
                tokens.nowSeconds() + userTokenTtl.toSeconds()));
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
