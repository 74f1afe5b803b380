package dev.visage.api.user;

import java.time.Instant;

/** A registered user. The password hash is an encoded Argon2id string, never the password. */
public record User(String id, String username, String displayName, String passwordHash,
                   String role, Instant createdAt) {
}
