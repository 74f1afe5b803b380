package dev.visage.api.cluster;

import static dev.visage.api.json.JsonMaps.JSON;

import dev.visage.api.json.JsonMaps;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Cluster values travel as JSON strings: every cluster backend (Hazelcast, Redis) writes the same
 * form, any node reads them without sharing Java classes, and Hazelcast can query them.
 */
public final class ClusterCodec {

    private ClusterCodec() {
    }

    public static String node(NodeInfo n) {
        JsonObjectBuilder b = JSON.createObjectBuilder()
                .add("id", n.id()).add("region", n.region()).add("httpUrl", n.httpUrl())
                .add("wsUrl", n.wsUrl()).add("mediaHost", n.mediaHost()).add("mediaPort", n.mediaPort())
                .add("memberId", n.memberId()).add("load", n.load()).add("capacity", n.capacity())
                .add("startedAt", n.startedAt()).add("heartbeatAt", n.heartbeatAt())
                .add("draining", n.draining()).add("vitals", JSON.createObjectBuilder()
                        .add("cpuLoad", n.vitals().cpuLoad()).add("heapUsedBytes", n.vitals().heapUsedBytes())
                        .add("heapMaxBytes", n.vitals().heapMaxBytes()).add("storeUp", n.vitals().storeUp()));
        if (n.seal() != null) {
            b.add("seal", n.seal());
        }
        return b.build().toString();
    }

    public static NodeInfo node(String json) {
        JsonObject o = read(json);
        return new NodeInfo(o.getString("id"), o.getString("region"), o.getString("httpUrl"),
                o.getString("wsUrl"), o.getString("mediaHost"), o.getInt("mediaPort"), o.getString("memberId"),
                o.getInt("load"), o.getInt("capacity"), o.getJsonNumber("startedAt").longValue(),
                o.getJsonNumber("heartbeatAt").longValue(), o.getBoolean("draining", false), vitals(o.getJsonObject("vitals")),
                o.getString("seal", null));
    }

    /**
     * A registry entry as a backend lists it: empty for text that is no node's JSON, which anything
     * else on the backend may have written, so that one bad entry cannot hide the others.
     */
    public static Optional<NodeInfo> readableNode(String json) {
        try {
            return Optional.of(node(json));
        } catch (RuntimeException notANode) {
            return Optional.empty();
        }
    }

    /** A node entry written before nodes reported vitals has none. */
    private static NodeVitals vitals(JsonObject v) {
        return v == null ? NodeVitals.UNKNOWN : new NodeVitals(v.getJsonNumber("cpuLoad").doubleValue(),
                v.getJsonNumber("heapUsedBytes").longValue(), v.getJsonNumber("heapMaxBytes").longValue(),
                v.getBoolean("storeUp"));
    }

    public static String session(SessionRecord s) {
        JsonObjectBuilder b = JSON.createObjectBuilder()
                .add("sessionId", s.sessionId()).add("userId", s.userId()).add("displayName", s.displayName())
                .add("nodeId", s.nodeId()).add("openedAt", s.openedAt());
        if (s.roomId() != null) {
            b.add("roomId", s.roomId());
        }
        return b.build().toString();
    }

    public static SessionRecord session(String json) {
        JsonObject o = read(json);
        return new SessionRecord(o.getString("sessionId"), o.getString("userId"), o.getString("displayName"),
                o.getString("nodeId"), o.getString("roomId", null), o.getJsonNumber("openedAt").longValue());
    }

    public static String members(List<String> sessionIds) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        sessionIds.forEach(array::add);
        return JSON.createObjectBuilder().add("members", array).build().toString();
    }

    public static List<String> members(String json) {
        return read(json).getJsonArray("members").getValuesAs(v -> ((jakarta.json.JsonString) v).getString());
    }

    /** A relay bus message as it travels: {@code {"from":…, "message":{…}}}. */
    public static String relayEnvelope(String fromNodeId, Map<String, Object> message) {
        return JSON.createObjectBuilder().add("from", fromNodeId).add("message", JsonMaps.toJson(message))
                .build().toString();
    }

    /** Hands a relay envelope to its handler: (from node id, message). */
    public static void openRelayEnvelope(String json, BiConsumer<String, Map<String, Object>> handler) {
        JsonObject envelope = read(json);
        handler.accept(envelope.getString("from"), JsonMaps.toMap(envelope.getJsonObject("message")));
    }

    private static JsonObject read(String json) {
        try (JsonReader reader = JSON.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }
}
