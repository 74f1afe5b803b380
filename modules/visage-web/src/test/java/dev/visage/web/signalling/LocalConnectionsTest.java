package dev.visage.web.signalling;

import dev.visage.api.cluster.SessionRecord;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LocalConnectionsTest {

    /** The container's side of a socket: only what a Connection calls, and the closes it asks for. */
    private static Session socket(List<CloseReason> closes) {
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[]{Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> {
                        closes.add(args != null && args.length == 1 ? (CloseReason) args[0] : null);
                        yield null;
                    }
                    case "isOpen" -> true;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                });
    }

    @Test
    void onlyClientsSilentLongerThanTheLimitAreClosed() throws InterruptedException {
        List<CloseReason> quietCloses = new ArrayList<>();
        List<CloseReason> chattyCloses = new ArrayList<>();
        Connection quiet = new Connection(socket(quietCloses), record("quiet"));
        Connection chatty = new Connection(socket(chattyCloses), record("chatty"));
        LocalConnections connections = new LocalConnections();
        connections.add(quiet);
        connections.add(chatty);

        connections.closeSilent(quiet.lastHeardMillis() + 60_000, 60_000);
        assertEquals(0, quietCloses.size() + chattyCloses.size(), "silent for exactly the limit: kept");

        Thread.sleep(50);
        chatty.heard(); // at least 50 ms after quiet last said anything
        connections.closeSilent(quiet.lastHeardMillis() + 60_010, 60_000);
        assertEquals(0, chattyCloses.size(), "heard within the last 60 s: kept");
        assertEquals(1, quietCloses.size(), "silent for over 60 s: closed");
        assertEquals(CloseReason.CloseCodes.GOING_AWAY, quietCloses.get(0).getCloseCode());
        assertEquals("idle", quietCloses.get(0).getReasonPhrase());
    }

    private static SessionRecord record(String sessionId) {
        return new SessionRecord(sessionId, "user-" + sessionId, "User", "node-a", null, 0);
    }
}
