package dev.visage.cluster.redis;

/** Every key and channel Visage uses in Redis, under one prefix so a shared Redis stays readable. */
final class RedisKeys {

    static final String NODE_IDS = "visage:nodes";
    static final String SESSIONS = "visage:sessions";
    static final String ROOM_EVENTS = "visage:room-events";

    private RedisKeys() {
    }

    static String node(String nodeId) {
        return "visage:node:" + nodeId;
    }

    static String sessionsOfNode(String nodeId) {
        return "visage:node-sessions:" + nodeId;
    }

    static String roomMembers(String roomId) {
        return "visage:room-members:" + roomId;
    }

    static String roomLock(String roomId) {
        return "visage:room-lock:" + roomId;
    }

    static String roomLockFence(String roomId) {
        return "visage:room-lock-fence:" + roomId;
    }

    static String relayChannel(String nodeId) {
        return "visage:relay:" + nodeId;
    }

    /** An operator's commands to one node (kick, close room, drain). */
    static String nodeCommands(String nodeId) {
        return "visage:node-commands:" + nodeId;
    }
}
