package dev.visage.api.user;

import java.util.Optional;

/** Persistent users. Usernames are unique (case-sensitive) and enforced by the store. */
public interface UserStore {

    User create(User user) throws DuplicateUsernameException;

    Optional<User> findByUsername(String username);

    Optional<User> findById(String id);

    long count();
}
