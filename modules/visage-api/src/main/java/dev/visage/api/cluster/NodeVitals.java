package dev.visage.api.cluster;

/**
 * How a node is doing, sampled at each heartbeat for the operators' console.
 *
 * @param cpuLoad   the node process's recent CPU use, 0..1 of the machine, or -1 if unknown
 * @param storeUp   false while the node's store does not answer (the node is DEGRADED)
 */
public record NodeVitals(double cpuLoad, long heapUsedBytes, long heapMaxBytes, boolean storeUp) {

    public static final NodeVitals UNKNOWN = new NodeVitals(-1, 0, 0, true);
}
