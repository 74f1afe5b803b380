package dev.visage.cluster.redis;

import dev.visage.api.cluster.ClusterCodec;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.SessionRecord;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Session ownership and room membership on Redis: the hash {@code visage:sessions} (id to
 * SessionRecord JSON), a set of session ids per owning node (an index the reads check against the
 * hash), a key per live room holding its members, and room events on one pub/sub channel.
 */
final class RedisClusterState implements ClusterState {

    /** Writes the session only while it still exists: an ended session is never brought back. */
    private static final String REPLACE_IF_PRESENT = """
            if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then
              redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
              return 1
            end
            return 0""";

    private final RedisConnection redis;
    private final RedisSubscriber subscriber;

    RedisClusterState(RedisConnection redis, RedisSubscriber subscriber) {
        this.redis = redis;
        this.subscriber = subscriber;
    }

    @Override
    public boolean createSession(SessionRecord session) {
        return redis.call(r -> {
            if (r.hsetnx(RedisKeys.SESSIONS, session.sessionId(), ClusterCodec.session(session)) == 0) {
                return false;
            }
            r.sadd(RedisKeys.sessionsOfNode(session.nodeId()), session.sessionId());
            return true;
        });
    }

    @Override
    public Optional<SessionRecord> session(String sessionId) {
        return Optional.ofNullable(redis.call(r -> r.hget(RedisKeys.SESSIONS, sessionId))).map(ClusterCodec::session);
    }

    @Override
    public List<SessionRecord> sessions(List<String> sessionIds) {
        if (sessionIds.isEmpty()) {
            return List.of();
        }
        return redis.call(r -> r.hmget(RedisKeys.SESSIONS, sessionIds.toArray(String[]::new))).stream()
                .filter(Objects::nonNull).map(ClusterCodec::session).toList();
    }

    @Override
    public boolean replaceSession(SessionRecord session) {
        Object replaced = redis.call(r -> r.eval(REPLACE_IF_PRESENT, List.of(RedisKeys.SESSIONS),
                List.of(session.sessionId(), ClusterCodec.session(session))));
        return Long.valueOf(1).equals(replaced);
    }

    @Override
    public void removeSession(String sessionId) {
        redis.call(r -> {
            String json = r.hget(RedisKeys.SESSIONS, sessionId);
            if (json != null) {
                r.hdel(RedisKeys.SESSIONS, sessionId);
                r.srem(RedisKeys.sessionsOfNode(ClusterCodec.session(json).nodeId()), sessionId);
            }
            return null;
        });
    }

    @Override
    public Collection<SessionRecord> sessionsOfNode(String nodeId) {
        List<String> ids = List.copyOf(redis.call(r -> r.smembers(RedisKeys.sessionsOfNode(nodeId))));
        return sessions(ids).stream().filter(s -> s.nodeId().equals(nodeId)).toList();
    }

    @Override
    public Collection<SessionRecord> allSessions() {
        return redis.call(r -> r.hvals(RedisKeys.SESSIONS)).stream().map(ClusterCodec::session).toList();
    }

    @Override
    public List<String> members(String roomId) {
        String json = redis.call(r -> r.get(RedisKeys.roomMembers(roomId)));
        return json == null ? List.of() : ClusterCodec.members(json);
    }

    @Override
    public void setMembers(String roomId, List<String> sessionIds) {
        redis.call(r -> sessionIds.isEmpty() ? r.del(RedisKeys.roomMembers(roomId))
                : r.set(RedisKeys.roomMembers(roomId), ClusterCodec.members(sessionIds)));
    }

    @Override
    public void publishRoomEvent(String roomId, String eventJson) {
        redis.call(r -> r.publish(RedisKeys.ROOM_EVENTS, roomId + "\n" + eventJson));
    }

    @Override
    public void onRoomEvent(BiConsumer<String, String> listener) {
        subscriber.onMessage(RedisKeys.ROOM_EVENTS, body -> {
            int split = body.indexOf('\n');
            listener.accept(body.substring(0, split), body.substring(split + 1));
        });
    }

    @Override
    public void sendNodeCommand(String nodeId, String commandJson) {
        redis.call(r -> r.publish(RedisKeys.nodeCommands(nodeId), commandJson));
    }

    /** Only this node's own commands: its subscription connection carries that one channel. */
    @Override
    public void onNodeCommand(String nodeId, Consumer<String> listener) {
        subscriber.onMessage(RedisKeys.nodeCommands(nodeId), listener);
    }
}
