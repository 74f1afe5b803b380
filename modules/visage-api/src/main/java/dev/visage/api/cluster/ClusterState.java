package dev.visage.api.cluster;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Shared, live state of the cluster: session ownership and room membership. Written on the
 * signalling path only, never per media packet.
 */
public interface ClusterState {

    /** Records a new session; false if one with this id already exists. */
    boolean createSession(SessionRecord session);

    Optional<SessionRecord> session(String sessionId);

    /** The sessions of these ids that still exist, in the order given: one round trip, not one per id. */
    List<SessionRecord> sessions(List<String> sessionIds);

    /** Updates a session that still exists; returns false (and writes nothing) if it has ended. */
    boolean replaceSession(SessionRecord session);

    void removeSession(String sessionId);

    Collection<SessionRecord> sessionsOfNode(String nodeId);

    /** Every session in the cluster (for the node's sweep after dead nodes and lost sockets). */
    Collection<SessionRecord> allSessions();

    /** Members (session ids) of a live room. Call under the room lock when modifying. */
    List<String> members(String roomId);

    void setMembers(String roomId, List<String> sessionIds);

    /** Publishes an event to every node's subscribers of the room (chat, join, leave, ...). */
    void publishRoomEvent(String roomId, String eventJson);

    /** Subscribes this node to room events: (roomId, eventJson). */
    void onRoomEvent(BiConsumer<String, String> listener);

    /**
     * Sends an operator's command (JSON text with a {@code type}: kick, close-room, drain, ...) to
     * one node, which carries it out on the sockets it holds. Dropped if the node is gone.
     */
    void sendNodeCommand(String nodeId, String commandJson);

    /** Subscribes this node to the commands sent to it. */
    void onNodeCommand(String nodeId, Consumer<String> listener);
}
