package dev.visage.api.plugin;

import dev.visage.api.audit.AuditStore;
import dev.visage.api.chat.ChatStore;
import dev.visage.api.room.RoomStore;
import dev.visage.api.user.UserStore;

/**
 * The persistence plugin: users, rooms, chat and the operators' audit log. Every call of its stores, and {@link #start}, throws
 * {@link StoreUnavailableException} when the database cannot be reached, promptly (seconds, not the
 * driver's default half minute), so the node can answer 503 and retry.
 */
public interface StorePlugin extends Plugin {

    UserStore users();

    RoomStore rooms();

    ChatStore chat();

    AuditStore audit();

    /** True while the backing database answers; a down database answers false within seconds. */
    boolean healthy();
}
