package dev.visage.api.cluster;

/**
 * A live node as the registry knows it.
 *
 * @param memberId the cluster member id (Hazelcast member UUID or Redis client id)
 * @param load     active sessions on the node
 * @param draining an operator is draining the node: it takes no new sessions and has told its clients to move
 * @param seal     the MAC the node's core wrote over every other field (see visage-core's
 *                 SealedNodeRegistry), null before it is sealed; a backend stores and returns it as it is
 */
public record NodeInfo(String id, String region, String httpUrl, String wsUrl, String mediaHost,
                       int mediaPort, String memberId, int load, int capacity, long startedAt,
                       long heartbeatAt, boolean draining, NodeVitals vitals, String seal) {

    /** Whether clients may open new sessions here. */
    public boolean acceptsSessions() {
        return !draining && load < capacity;
    }

    /** The same entry with this seal. */
    public NodeInfo withSeal(String newSeal) {
        return new NodeInfo(id, region, httpUrl, wsUrl, mediaHost, mediaPort, memberId, load, capacity, startedAt,
                heartbeatAt, draining, vitals, newSeal);
    }
}
