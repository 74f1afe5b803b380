package dev.visage.core.cluster;

import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.core.cluster.ClusterSeal.Channel;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A backend's {@link ClusterState} whose messages (room events, operators' commands) are sealed on
 * the way out and opened on the way in (see {@link ClusterSeal}): a listener only ever hears what a
 * node holding the cluster secret sent. Reads and writes of the shared state pass as they are.
 */
public final class SealedClusterState implements ClusterState {

    private final ClusterState backend;
    private final ClusterSeal seal;

    public SealedClusterState(ClusterState backend, ClusterSeal seal) {
        this.backend = backend;
        this.seal = seal;
    }

    @Override
    public void publishRoomEvent(String roomId, String eventJson) {
        backend.publishRoomEvent(roomId, seal.seal(Channel.ROOM_EVENT, roomId, eventJson));
    }

    @Override
    public void onRoomEvent(BiConsumer<String, String> listener) {
        backend.onRoomEvent((roomId, sealed) -> seal.open(Channel.ROOM_EVENT, roomId, sealed)
                .ifPresent(event -> listener.accept(roomId, event.payload())));
    }

    @Override
    public void sendNodeCommand(String nodeId, String commandJson) {
        backend.sendNodeCommand(nodeId, seal.seal(Channel.NODE_COMMAND, nodeId, commandJson));
    }

    @Override
    public void onNodeCommand(String nodeId, Consumer<String> listener) {
        backend.onNodeCommand(nodeId, sealed -> seal.open(Channel.NODE_COMMAND, nodeId, sealed)
                .ifPresent(command -> listener.accept(command.payload())));
    }

    @Override
    public boolean createSession(SessionRecord session) {
        return backend.createSession(session);
    }

    @Override
    public Optional<SessionRecord> session(String sessionId) {
        return backend.session(sessionId);
    }

    @Override
    public List<SessionRecord> sessions(List<String> sessionIds) {
        return backend.sessions(sessionIds);
    }

    @Override
    public boolean replaceSession(SessionRecord session) {
        return backend.replaceSession(session);
    }

    @Override
    public void removeSession(String sessionId) {
        backend.removeSession(sessionId);
    }

    @Override
    public Collection<SessionRecord> sessionsOfNode(String nodeId) {
        return backend.sessionsOfNode(nodeId);
    }

    @Override
    public Collection<SessionRecord> allSessions() {
        return backend.allSessions();
    }

    @Override
    public List<String> members(String roomId) {
        return backend.members(roomId);
    }

    @Override
    public void setMembers(String roomId, List<String> sessionIds) {
        backend.setMembers(roomId, sessionIds);
    }
}
