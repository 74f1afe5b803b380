package dev.visage.api.user;

/** Thrown by {@link UserStore#create} when the username is already taken. */
public class DuplicateUsernameException extends Exception {
    public DuplicateUsernameException(String username) {
        super("username already taken: " + username);
    }
}
