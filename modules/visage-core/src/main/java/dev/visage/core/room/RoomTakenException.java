package dev.visage.core.room;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;

import java.util.Optional;

/** {@code room_taken}: the URL name asked for is another room's; carries a free variant to offer instead. */
public final class RoomTakenException extends VisageException {

    private final String suggestion;

    RoomTakenException(String urlName, String suggestion) {
        super(ErrorCode.ROOM_TAKEN, "the room URL name \"" + urlName + "\" is taken"
                + (suggestion == null ? "; pick another" : "; \"" + suggestion + "\" is free"));
        this.suggestion = suggestion;
    }

    /** A variant of the name that was free when the request was refused (it may be taken by the time it is tried). */
    public Optional<String> suggestion() {
        return Optional.ofNullable(suggestion);
    }
}
