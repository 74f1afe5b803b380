package dev.visage.core.room;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.id.RandomIds;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The URL name a room's creator may pick ({@code /r/weekly-sync}). It becomes the room's id, so
 * every link, join and chat call works on it unchanged, and the store's unique id decides who
 * gets a name two nodes race for. Random ids (mixed case, no dash) stay the default. Names are
 * lower-case: one typed with capitals is folded, at creation and when a link is looked up.
 */
public final class RoomUrlName {

    public static final int MIN_LENGTH = 3;
    public static final int MAX_LENGTH = 48;
    /** Lower-case letters and digits in words joined by single dashes: no dash first, last or twice. */
    private static final Pattern SHAPE = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)*");
    /**
     * Words that name (or may one day name) the service's own pages and paths, so that a room
     * never looks like one of them in a link.
     */
    static final Set<String> RESERVED = Set.of("admin", "administrator", "api", "app", "assets", "css", "docs",
            "health", "help", "home", "img", "index", "js", "login", "logout", "me", "metrics", "new", "node",
            "nodes", "r", "register", "room", "rooms", "root", "session", "sessions", "settings", "signin", "signup",
            "static", "status", "support", "system", "user", "users", "vendor", "visage", "www", "ws");
    /** Numbered variants tried before random ones when a name is taken. */
    private static final int NUMBERED_VARIANTS = 8;
    private static final int RANDOM_VARIANTS = 3;

    private RoomUrlName() {
    }

    /**
     * The name as it will be used (surrounding blanks dropped, lower-cased: {@code Weekly-Sync} is
     * {@code weekly-sync}); {@code invalid_room_name} when it cannot be one.
     */
    public static String checked(String urlName) {
        String name = urlName.strip().toLowerCase(Locale.ROOT);
        if (!isShaped(name)) {
            throw new VisageException(ErrorCode.INVALID_ROOM_NAME, "the room's URL name must be " + MIN_LENGTH
                    + " to " + MAX_LENGTH + " letters, digits and single dashes between them (like weekly-sync)");
        }
        if (RESERVED.contains(name)) {
            throw new VisageException(ErrorCode.INVALID_ROOM_NAME,
                    "\"" + name + "\" is reserved for the service's own pages; pick another URL name");
        }
        return name;
    }

    /**
     * The URL name a link typed with capitals stands for ({@code Weekly-Sync}: {@code weekly-sync}),
     * to look up when no room has the id as typed (random ids are mixed case: the room with the
     * id as typed is looked up first); empty when folding changes nothing or gives no URL name.
     */
    static Optional<String> folded(String roomId) {
        String lower = roomId.toLowerCase(Locale.ROOT);
        return !lower.equals(roomId) && isShaped(lower) ? Optional.of(lower) : Optional.empty();
    }

    private static boolean isShaped(String name) {
        return name.length() >= MIN_LENGTH && name.length() <= MAX_LENGTH && SHAPE.matcher(name).matches();
    }

    /**
     * Free-variant candidates for a taken name, best first: {@code name-2} … {@code name-9}, then
     * {@code name-} and four random characters. Each is a valid URL name (the base is cut to fit).
     */
    static List<String> variants(String taken) {
        List<String> variants = new ArrayList<>();
        for (int n = 2; n < 2 + NUMBERED_VARIANTS; n++) {
            variants.add(withSuffix(taken, "-" + n));
        }
        for (int i = 0; i < RANDOM_VARIANTS; i++) {
            variants.add(withSuffix(taken, "-" + RandomIds.of(4).toLowerCase(Locale.ROOT)));
        }
        return variants;
    }

    private static String withSuffix(String base, String suffix) {
        String cut = base.length() + suffix.length() <= MAX_LENGTH ? base : base.substring(0, MAX_LENGTH - suffix.length());
        return cut.replaceFirst("-+$", "") + suffix;
    }
}
