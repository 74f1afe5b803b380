package dev.visage.web.cluster;

import redis.clients.jedis.Jedis;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;

/** A client of the nodes' Redis (its URI, credentials included, is all it takes). */
final class RedisRogue implements RogueBackendClient {

    private final Jedis redis;

    RedisRogue(String uri) {
        redis = new Jedis(URI.create(uri));
    }

    @Override
    public Map<String, String> readEverything() {
        Map<String, String> everything = new TreeMap<>();
        for (String key : redis.keys("*")) {
            everything.put(key, switch (redis.type(key)) {
                case "string" -> redis.get(key);
                case "hash" -> redis.hgetAll(key).toString();
                case "set" -> redis.smembers(key).toString();
                case "list" -> redis.lrange(key, 0, -1).toString();
                case "zset" -> redis.zrange(key, 0, -1).toString();
                default -> "(" + redis.type(key) + ")";
            });
        }
        return everything;
    }

    @Override
    public void publishRoomEvent(String roomId, String body) {
        redis.publish("visage:room-events", roomId + "\n" + body);
    }

    @Override
    public void sendNodeCommand(String nodeId, String body) {
        redis.publish("visage:node-commands:" + nodeId, body);
    }

    @Override
    public String memberId() {
        return "rogue-client";
    }

    @Override
    public void writeNodeEntry(String nodeId, String json) {
        redis.set("visage:node:" + nodeId, json);
        redis.sadd("visage:nodes", nodeId);
    }

    @Override
    public void removeNodeEntry(String nodeId) {
        redis.del("visage:node:" + nodeId);
        redis.srem("visage:nodes", nodeId);
    }

    @Override
    public void close() {
        redis.close();
    }
}
