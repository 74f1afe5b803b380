package dev.visage.api.relay;

import dev.visage.api.cluster.NodeInfo;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Server-to-server signalling for the media relay: every node has its own channel (a topic per
 * node), and messages are JSON-shaped maps with a {@code type}. The media engine uses it to set up
 * relay legs (offer, answer, ready) without ever going through a client. Signalling path only:
 * never call it per media packet.
 */
public interface RelayBus {

    String localNodeId();

    /** Sends to one node's channel; a message to a node that is gone is dropped. */
    void send(String nodeId, Map<String, Object> message);

    /** Handles every message sent to this node: (from node id, message). */
    void subscribe(BiConsumer<String, Map<String, Object>> handler);

    /** Nodes (this one included) that hold at least one member of the room. */
    Set<String> nodesInRoom(String roomId);

    Optional<NodeInfo> node(String nodeId);

    /** Called with the node id when a node leaves or dies. */
    void onNodeGone(Consumer<String> listener);
}
