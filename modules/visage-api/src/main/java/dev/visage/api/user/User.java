package dev.visage.api.user;

import java.time.Instant;

/**
 * A registered user. The password hash is an encoded Argon2id string, never the password.
 *
 * @param role {@link #ROLE_USER} or {@link #ROLE_ADMIN} (operators: the admin console and API)
 */
public record User(String id, String username, String displayName, String passwordHash,
                   String role, Instant createdAt) {

    public static final String ROLE_USER = "user";
    public static final String ROLE_ADMIN = "admin";

    public boolean isAdmin() {
        return ROLE_ADMIN.equals(role);
    }
}
