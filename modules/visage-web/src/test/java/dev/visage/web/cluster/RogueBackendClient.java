package dev.visage.web.cluster;

import java.util.Map;

/**
 * A process that reaches the cluster backend the way the nodes do (a Hazelcast member with the
 * nodes' own configuration, a client of their Redis) but was never given the cluster secret.
 */
interface RogueBackendClient extends AutoCloseable {

    /** Everything of the backend it can read, as text, by the name it is kept under. */
    Map<String, String> readEverything();

    /** Publishes on the channel the nodes hear room events on, in the form the backend carries them. */
    void publishRoomEvent(String roomId, String body);

    /** Publishes on one node's channel of operators' commands. */
    void sendNodeCommand(String nodeId, String body);

    /** Its own id on the backend, which a node entry names as its member id (a live one, on Hazelcast). */
    String memberId();

    /** Writes an entry into the node registry where a node keeps its own, as NodeInfo JSON. */
    void writeNodeEntry(String nodeId, String json);

    void removeNodeEntry(String nodeId);
}
