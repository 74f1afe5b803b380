package dev.visage.api.cluster;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClusterCodecTest {

    @Test
    void nodeInfoRoundTripsWithAndWithoutSeal() {
        NodeInfo node = new NodeInfo("n1", "eu", "http://h:1", "ws://h:1/ws", "10.0.0.1", 10000, "m-1", 7, 500,
                1_700_000_000_000L, 1_700_000_001_000L, true, new NodeVitals(0.1 + 0.2, 300_000_000L, 1_000_000_000L, false),
                null);
        assertEquals(node, ClusterCodec.node(ClusterCodec.node(node)));
        assertEquals(node.withSeal("mac"), ClusterCodec.node(ClusterCodec.node(node.withSeal("mac"))));
    }

    @Test
    void sessionRoundTripsWithAndWithoutRoom() {
        SessionRecord s = new SessionRecord("s1", "u1", "Ann \"quoted\" 🎥", "n1", null, 42L);
        assertEquals(s, ClusterCodec.session(ClusterCodec.session(s)));
        assertEquals(s.inRoom("r1"), ClusterCodec.session(ClusterCodec.session(s.inRoom("r1"))));
    }

    @Test
    void membersRoundTripInOrder() {
        List<String> members = List.of("b", "a", "c");
        assertEquals(members, ClusterCodec.members(ClusterCodec.members(members)));
        assertEquals(List.of(), ClusterCodec.members(ClusterCodec.members(List.of())));
    }
}
