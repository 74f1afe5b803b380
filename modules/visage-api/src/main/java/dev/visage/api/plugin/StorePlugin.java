package dev.visage.api.plugin;

import dev.visage.api.chat.ChatStore;
import dev.visage.api.room.RoomStore;
import dev.visage.api.user.UserStore;

/** The persistence plugin: users, rooms and chat. */
public interface StorePlugin extends Plugin {

    UserStore users();

    RoomStore rooms();

    ChatStore chat();

    /** True while the backing database answers. */
    boolean healthy();
}
