package dev.visage.core.cluster;

import static dev.visage.api.json.JsonMaps.JSON;

import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.NodeRegistry;
import dev.visage.api.json.JsonMaps;
import dev.visage.api.relay.RelayBus;
import dev.visage.core.cluster.ClusterSeal.Channel;
import jakarta.json.JsonException;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A backend's {@link RelayBus} whose messages are sealed (see {@link ClusterSeal}): each travels as
 * {@code {"sealed": "<sealed JSON text>"}}, and the handler hears only messages that open, with the
 * sender the MAC proves rather than the one the backend's envelope claims. Peers are looked up in
 * the sealed registry ({@link SealedNodeRegistry}), never in the backend's own.
 */
public final class SealedRelayBus implements RelayBus {

    private static final String FIELD = "sealed";

    private final RelayBus backend;
    private final ClusterSeal seal;
    private final NodeRegistry registry;

    public SealedRelayBus(RelayBus backend, ClusterSeal seal, NodeRegistry sealedRegistry) {
        this.backend = backend;
        this.seal = seal;
        this.registry = sealedRegistry;
    }

    @Override
    public void send(String nodeId, Map<String, Object> message) {
        backend.send(nodeId, Map.of(FIELD, seal.seal(Channel.RELAY, nodeId, JsonMaps.toJson(message).toString())));
    }

    @Override
    public void subscribe(BiConsumer<String, Map<String, Object>> handler) {
        backend.subscribe((claimedFrom, message) -> seal.open(Channel.RELAY, localNodeId(),
                        message.get(FIELD) instanceof String sealed ? sealed : null)
                .ifPresent(opened -> handler.accept(opened.from(), read(opened.payload()))));
    }

    /** What a node sealed is JSON it wrote itself. */
    private static Map<String, Object> read(String json) {
        try (JsonReader reader = JSON.createReader(new StringReader(json))) {
            return JsonMaps.toMap(reader.readObject());
        } catch (JsonException e) {
            throw new IllegalStateException("a sealed relay message is not a JSON object", e);
        }
    }

    @Override
    public String localNodeId() {
        return backend.localNodeId();
    }

    @Override
    public Set<String> nodesInRoom(String roomId) {
        return backend.nodesInRoom(roomId);
    }

    @Override
    public Optional<NodeInfo> node(String nodeId) {
        return registry.liveNodes().stream().filter(n -> n.id().equals(nodeId)).findFirst();
    }

    @Override
    public void onNodeGone(Consumer<String> listener) {
        registry.onNodeGone(listener);
    }
}
