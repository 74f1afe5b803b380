package dev.visage.api.user;

import java.util.List;
import java.util.Optional;

/** Persistent users. Usernames are unique (case-sensitive) and enforced by the store. */
public interface UserStore {

    User create(User user) throws DuplicateUsernameException;

    Optional<User> findByUsername(String username);

    Optional<User> findById(String id);

    long count();

    /** Sets the user's role ({@code user} or {@code admin}); false if no user has this id. */
    boolean setRole(String userId, String role);

    /** Every user holding the role, by username. */
    List<User> withRole(String role);
}
