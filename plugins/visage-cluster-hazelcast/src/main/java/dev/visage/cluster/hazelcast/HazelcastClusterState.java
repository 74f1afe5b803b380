package dev.visage.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import com.hazelcast.topic.ITopic;
import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.SessionRecord;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Session ownership and room membership on Payara's Hazelcast. Sessions are JSON values so the
 * "sessions of node X" query runs on the members that own the data.
 */
final class HazelcastClusterState implements ClusterState {

    /** One topic per node for operators' commands, as the relay has one per node for its signalling. */
    private static final String NODE_COMMANDS = "visage.node-commands.";

    private final HazelcastInstance hazelcast;
    private final IMap<String, HazelcastJsonValue> sessions;
    private final IMap<String, String> members;
    private final ITopic<String> roomEvents;

    HazelcastClusterState(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
        this.sessions = hazelcast.getMap("visage.sessions");
        this.members = hazelcast.getMap("visage.room-members");
        this.roomEvents = hazelcast.getTopic("visage.room-events");
    }

    @Override
    public boolean createSession(SessionRecord session) {
        return sessions.putIfAbsent(session.sessionId(), new HazelcastJsonValue(ClusterCodec.session(session))) == null;
    }

    @Override
    public Optional<SessionRecord> session(String sessionId) {
        return Optional.ofNullable(sessions.get(sessionId)).map(v -> ClusterCodec.session(v.toString()));
    }

    @Override
    public List<SessionRecord> sessions(List<String> sessionIds) {
        Map<String, HazelcastJsonValue> found = sessions.getAll(new HashSet<>(sessionIds));
        return sessionIds.stream().map(found::get).filter(Objects::nonNull)
                .map(v -> ClusterCodec.session(v.toString())).toList();
    }

    @Override
    public boolean replaceSession(SessionRecord session) {
        return sessions.replace(session.sessionId(), new HazelcastJsonValue(ClusterCodec.session(session))) != null;
    }

    @Override
    public void removeSession(String sessionId) {
        sessions.delete(sessionId);
    }

    @Override
    public Collection<SessionRecord> sessionsOfNode(String nodeId) {
        return sessions.values(Predicates.equal("nodeId", nodeId)).stream()
                .map(v -> ClusterCodec.session(v.toString())).toList();
    }

    @Override
    public Collection<SessionRecord> allSessions() {
        return sessions.values().stream().map(v -> ClusterCodec.session(v.toString())).toList();
    }

    @Override
    public List<String> members(String roomId) {
        String json = members.get(roomId);
        return json == null ? List.of() : ClusterCodec.members(json);
    }

    @Override
    public void setMembers(String roomId, List<String> sessionIds) {
        if (sessionIds.isEmpty()) {
            members.delete(roomId);
        } else {
            members.set(roomId, ClusterCodec.members(sessionIds));
        }
    }

    @Override
    public void publishRoomEvent(String roomId, String eventJson) {
        roomEvents.publish(roomId + "\n" + eventJson);
    }

    @Override
    public void onRoomEvent(BiConsumer<String, String> listener) {
        roomEvents.addMessageListener(message -> {
            String body = message.getMessageObject();
            int split = body.indexOf('\n');
            listener.accept(body.substring(0, split), body.substring(split + 1));
        });
    }

    @Override
    public void sendNodeCommand(String nodeId, String commandJson) {
        hazelcast.<String>getTopic(NODE_COMMANDS + nodeId).publish(commandJson);
    }

    @Override
    public void onNodeCommand(String nodeId, Consumer<String> listener) {
        hazelcast.<String>getTopic(NODE_COMMANDS + nodeId).addMessageListener(m -> listener.accept(m.getMessageObject()));
    }
}
