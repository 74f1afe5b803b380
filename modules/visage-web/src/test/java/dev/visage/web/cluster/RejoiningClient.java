package dev.visage.web.cluster;

import java.util.List;

/**
 * A user in a room who behaves as the web client does when its connection is lost: it opens a
 * new session and joins again, on its own node if that answers, else on the next one.
 */
final class RejoiningClient implements AutoCloseable {

    final String username;
    private final String userToken;
    private final String roomId;
    private final List<Api> nodes;
    private volatile SignalSocket socket;
    private volatile int joins;

    /** {@code nodes}: the nodes in the order this client tries them. */
    RejoiningClient(String username, String userToken, String roomId, List<Api> nodes) {
        this.username = username;
        this.userToken = userToken;
        this.roomId = roomId;
        this.nodes = nodes;
    }

    /** Joined and connected: true at once if the socket is open; otherwise one round of rejoin attempts. */
    boolean ensureJoined() {
        SignalSocket current = socket;
        if (current != null && !current.closed.isDone()) {
            return true;
        }
        for (Api api : nodes) {
            SignalSocket fresh = null;
            try {
                fresh = SignalSocket.open(api, userToken);
                fresh.join(api, roomId);
                socket = fresh;
                joins++;
                return true;
            } catch (Exception | AssertionError failed) {
                if (fresh != null) {
                    fresh.close();
                }
            }
        }
        return false;
    }

    /** Whether {@code api} is the node this client tries first. */
    boolean prefers(Api api) {
        return nodes.get(0) == api;
    }

    /** The session id of the open socket, or null while disconnected. */
    String sessionId() {
        SignalSocket current = socket;
        return current == null || current.closed.isDone() ? null : current.sessionId;
    }

    SignalSocket socket() {
        return socket;
    }

    /** How many times this client has joined (1 if it never had to come back). */
    int joins() {
        return joins;
    }

    @Override
    public void close() {
        SignalSocket current = socket;
        if (current != null) {
            current.close();
        }
    }
}
