package dev.visage.web.admin;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.core.json.JsonText;
import dev.visage.web.node.VisageNode;
import jakarta.json.JsonObject;

import java.util.List;
import java.util.logging.Logger;

/**
 * Operators' actions travel as commands to the node that holds the sockets concerned (the admin
 * API answers on any node): remove one member, close a room, drain the node or take it back.
 * Each is carried out here, on the node's own connections.
 */
public final class NodeCommands {

    private static final Logger LOG = Logger.getLogger(NodeCommands.class.getName());
    static final String KICK = "kick";
    static final String CLOSE_ROOM = "close-room";
    static final String DRAIN = "drain";
    static final String UNDRAIN = "undrain";

    private final VisageNode node;

    public NodeCommands(VisageNode node) {
        this.node = node;
    }

    public static String kickCommand(String sessionId, String roomId) {
        return JSON.createObjectBuilder().add("type", KICK).add("sessionId", sessionId).add("roomId", roomId)
                .build().toString();
    }

    public static String closeRoomCommand(String roomId) {
        return JSON.createObjectBuilder().add("type", CLOSE_ROOM).add("roomId", roomId).build().toString();
    }

    public static String drainCommand(boolean draining) {
        return JSON.createObjectBuilder().add("type", draining ? DRAIN : UNDRAIN).build().toString();
    }

    /** Runs on the node's timer thread (cluster calls may block; Hazelcast's event threads must not). */
    public void carryOut(String commandJson) {
        JsonObject command = JsonText.object(commandJson, "the command");
        switch (command.getString("type", "")) {
            case KICK -> removeMember(command.getString("sessionId"), command.getString("roomId"));
            case CLOSE_ROOM -> closeRoom(command.getString("roomId"));
            case DRAIN -> drain();
            case UNDRAIN -> node.draining(false);
            default -> LOG.warning(() -> node.logPrefix() + "unknown operator command ignored: " + commandJson);
        }
    }

    /** The member's page hears {@code removed} and stays out; the others see it leave at once. */
    private void removeMember(String sessionId, String roomId) {
        String notice = JSON.createObjectBuilder().add("type", "removed").add("roomId", roomId)
                .add("reason", "kicked").build().toString();
        List<String> ended = node.connections().sendOff(c -> c.sessionId().equals(sessionId), notice, "removed", true,
                id -> node.rooms().disconnect(id, "removed"));
        if (ended.isEmpty()) {
            node.rooms().disconnect(sessionId, "removed"); // its socket is already gone: the membership goes too
        }
        LOG.info(() -> node.logPrefix() + "room=" + roomId + " session=" + sessionId + " removed by an operator");
    }

    private void closeRoom(String roomId) {
        String notice = JSON.createObjectBuilder().add("type", "room-closed").add("roomId", roomId).build().toString();
        List<String> ended = node.connections().sendOff(c -> roomId.equals(c.roomId()), notice, "room-closed", true,
                id -> node.rooms().disconnect(id, "room-closed"));
        LOG.info(() -> node.logPrefix() + "room=" + roomId + " closed by an operator: " + ended.size()
                + " members on this node removed");
    }

    /**
     * No new sessions from now on, and every client is told to move: its page reconnects to
     * another node, where it continues its streams as after any lost connection.
     */
    private void drain() {
        node.draining(true);
        String notice = JSON.createObjectBuilder().add("type", "move").add("reason", "drain").build().toString();
        List<String> moved = node.connections().sendOff(c -> true, notice, "node-drain", false,
                id -> node.rooms().disconnect(id, "node-drain"));
        LOG.info(() -> node.logPrefix() + "draining: " + moved.size() + " clients told to move");
    }
}
