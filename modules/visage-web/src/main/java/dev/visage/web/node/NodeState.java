package dev.visage.web.node;

/** The life of a node, as {@code /health} and the readiness filter report it. */
public enum NodeState {
    /** Deployed, plugins and cluster state still starting (possibly waiting for the store). */
    STARTING,
    /** Serving. */
    READY,
    /** Start-up failed for a reason that waiting does not fix; the log says which. */
    FAILED,
    /** Shutting down. */
    STOPPING
}
