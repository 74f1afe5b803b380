package dev.visage.core.room;

import com.hazelcast.core.HazelcastInstance;
import dev.visage.api.chat.ChatMessage;
import dev.visage.api.cluster.ClusterState;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.room.Room;
import dev.visage.api.testing.Await;
import dev.visage.api.testing.TestPluginContext;
import dev.visage.api.user.User;
import dev.visage.cluster.hazelcast.HazelcastClusterBackend;
import dev.visage.cluster.hazelcast.testing.TestHazelcast;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.id.RandomIds;
import dev.visage.core.session.SessionGrant;
import dev.visage.core.session.SessionService;
import dev.visage.core.testing.TestStore;
import dev.visage.core.token.TokenClaims;
import dev.visage.core.token.TokenService;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringReader;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.visage.core.testing.Failures.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RoomService and SessionService as two nodes run them: each on its own member of a real
 * two-member Hazelcast cluster, sharing the real store plugin.
 */
class RoomServiceClusterTest {

    @TempDir
    static Path dataDir;

    private static TestHazelcast hazelcast;
    private static StorePlugin store;
    private static byte[] tokenKey;
    private static Node a;
    private static Node b;
    private static User owner;

    /** One node's view: its member, its cluster state and its services. */
    record Node(String id, HazelcastInstance member, ClusterState cluster, SessionService sessions,
                RoomService rooms, Queue<String[]> events) {

        static Node on(HazelcastInstance member, String nodeId) {
            HazelcastClusterBackend backend = new HazelcastClusterBackend(member);
            try {
                backend.start(TestPluginContext.of(nodeId, Map.of()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            ClusterState cluster = backend.state();
            TokenService tokens = new TokenService(tokenKey, Clock.systemUTC());
            Queue<String[]> events = new ConcurrentLinkedQueue<>();
            cluster.onRoomEvent((room, json) -> events.add(new String[]{room, json}));
            return new Node(nodeId, member, cluster,
                    new SessionService(cluster, tokens, Duration.ofHours(1), nodeId, Clock.systemUTC()),
                    new RoomService(store.rooms(), store.chat(), cluster, backend.locks(), tokens,
                            Duration.ofMinutes(2), Clock.systemUTC()),
                    events);
        }

        /** What the WebSocket does on open: a new session owned by this node. */
        SessionRecord connect(User user) {
            SessionGrant grant = sessions.open(user);
            sessions.connect(grant.sessionToken());
            return sessions.connected(grant.sessionToken());
        }

        /** Events of a room with the given type, as this node received them. */
        List<JsonObject> events(String roomId, String type) {
            return events.stream().filter(e -> e[0].equals(roomId))
                    .map(e -> Json.createReader(new StringReader(e[1])).readObject())
                    .filter(o -> o.getString("type").equals(type)).toList();
        }
    }

    @BeforeAll
    static void startCluster() throws Exception {
        hazelcast = new TestHazelcast("visage-test-RoomServiceClusterTest", 5960);
        List<HazelcastInstance> members = hazelcast.newCluster(2);
        store = TestStore.start(dataDir);
        tokenKey = new byte[32];
        new SecureRandom().nextBytes(tokenKey);
        a = Node.on(members.get(0), "node-a");
        b = Node.on(members.get(1), "node-b");
        owner = user("owner");
    }

    @AfterAll
    static void stopCluster() {
        if (store != null) {
            store.close();
        }
        if (hazelcast != null) {
            hazelcast.close();
        }
    }

    private static User user(String name) {
        return new User(RandomIds.of(16), name, "Display " + name, "unused-hash", "user", Instant.now());
    }

    private static Set<String> ids(List<SessionRecord> sessions) {
        return sessions.stream().map(SessionRecord::sessionId).collect(Collectors.toSet());
    }

    private static <T> List<T> runConcurrently(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fiftyConcurrentJoinsOverBothMembersAllLandAndFiftyLeavesEmptyTheRoom() throws Exception {
        Room room = a.rooms().create(owner, "fifty", null);
        List<SessionRecord> sessions = new ArrayList<>();
        List<Node> owners = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Node node = i % 2 == 0 ? a : b;
            sessions.add(node.connect(user("u" + i)));
            owners.add(node);
        }
        List<Callable<String>> joins = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Node node = owners.get(i);
            SessionRecord s = sessions.get(i);
            joins.add(() -> node.rooms().requestJoin(s, room.id()));
        }
        List<String> roomTokens = runConcurrently(joins);
        assertEquals(50, new HashSet<>(roomTokens).size());

        Set<String> expected = sessions.stream().map(SessionRecord::sessionId).collect(Collectors.toSet());
        assertEquals(50, a.cluster().members(room.id()).size(), "no join may be lost or doubled");
        assertEquals(expected, new HashSet<>(a.cluster().members(room.id())));
        assertEquals(expected, ids(b.rooms().members(room.id())));
        for (SessionRecord s : sessions) {
            assertEquals(room.id(), a.cluster().session(s.sessionId()).orElseThrow().roomId());
        }

        List<Callable<String>> leaves = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Node node = owners.get(i);
            String sessionId = sessions.get(i).sessionId();
            leaves.add(() -> node.rooms().leave(sessionId, "left").orElse(null));
        }
        List<String> left = runConcurrently(leaves);
        assertTrue(left.stream().allMatch(room.id()::equals), "each leave reports the room it left");
        assertEquals(List.of(), a.cluster().members(room.id()));
        assertEquals(List.of(), b.rooms().members(room.id()));
        for (SessionRecord s : sessions) {
            assertNull(b.cluster().session(s.sessionId()).orElseThrow().roomId());
        }
        // every leave was announced once, on both nodes
        Await.until(Duration.ofSeconds(10), "50 member-left events on each node",
                () -> a.events(room.id(), "member-left").size() == 50 && b.events(room.id(), "member-left").size() == 50);
        // leaving again is a no-op
        assertTrue(a.rooms().leave(sessions.get(0).sessionId(), "left").isEmpty());
    }

    @Test
    void closingTheOldConnectionOfAUserKeepsTheirNewOne() {
        Room room = a.rooms().create(owner, "refresh", null);
        User user = user("refresher");
        SessionRecord oldTab = a.connect(user);
        a.rooms().confirmJoin(oldTab.sessionId(), a.rooms().requestJoin(oldTab, room.id()));
        SessionRecord newTab = b.connect(user);
        b.rooms().confirmJoin(newTab.sessionId(), b.rooms().requestJoin(newTab, room.id()));
        assertEquals(Set.of(oldTab.sessionId(), newTab.sessionId()), ids(a.rooms().members(room.id())));

        // the reloaded tab's old socket closes late, after the new one joined
        a.rooms().disconnect(oldTab.sessionId(), "closed");

        assertEquals(List.of(newTab.sessionId()), b.cluster().members(room.id()));
        assertTrue(a.cluster().session(oldTab.sessionId()).isEmpty());
        assertEquals(room.id(), a.cluster().session(newTab.sessionId()).orElseThrow().roomId());
        Await.until(Duration.ofSeconds(10), "member-left of the old tab",
                () -> b.events(room.id(), "member-left").size() == 1);
        assertEquals(oldTab.sessionId(), b.events(room.id(), "member-left").get(0).getString("sessionId"));
    }

    @Test
    void aSessionTokenOpensItsSocketWithinAMinuteOfItsIssueOnly() {
        SessionService halfAMinuteLater = sessionsOfNodeAAt(Duration.ofSeconds(30));
        SessionService twoMinutesLater = sessionsOfNodeAAt(Duration.ofMinutes(2));
        assertFailsWith(ErrorCode.TOKEN_EXPIRED, () -> twoMinutesLater.connect(a.sessions().open(user("late")).sessionToken()));
        SessionRecord inTime = halfAMinuteLater.connect(a.sessions().open(user("in time")).sessionToken());
        a.rooms().disconnect(inTime.sessionId(), "closed");
    }

    /** Node a's sessions as they will be answered {@code later} (its token clock moved on). */
    private static SessionService sessionsOfNodeAAt(Duration later) {
        TokenService tokens = new TokenService(tokenKey, Clock.offset(Clock.systemUTC(), later));
        return new SessionService(a.cluster(), tokens, Duration.ofHours(1), a.id(), Clock.systemUTC());
    }

    @Test
    void aSessionTokenOpensOnlyOneConnectionOnItsOwnNodeEvenAfterItClosed() {
        SessionGrant grant = a.sessions().open(user("twice"));
        SessionRecord first = a.sessions().connect(grant.sessionToken());
        assertFailsWith(ErrorCode.SESSION_IN_USE, () -> a.sessions().connect(grant.sessionToken()));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> b.sessions().connect(grant.sessionToken()));
        a.rooms().disconnect(first.sessionId(), "closed");
        // after its socket closed, the token opens no other: a reconnecting client asks for a new session
        assertFailsWith(ErrorCode.SESSION_IN_USE, () -> a.sessions().connect(grant.sessionToken()));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> b.sessions().connect(grant.sessionToken()));
        SessionGrant unused = a.sessions().open(user("never"));
        assertFailsWith(ErrorCode.SESSION_NOT_CONNECTED, () -> b.sessions().connected(unused.sessionToken()));
    }

    @Test
    void purgeNodeRemovesOnlyThatNodesSessionsAndMemberships() {
        Node deadA = Node.on(a.member(), "purge-dead");
        Node liveB = Node.on(b.member(), "purge-live");
        Room r1 = deadA.rooms().create(owner, "purge-1", null);
        Room r2 = deadA.rooms().create(owner, "purge-2", null);
        SessionRecord d1 = deadA.connect(user("d1"));
        SessionRecord d2 = deadA.connect(user("d2"));
        SessionRecord d3 = deadA.connect(user("d3"));
        SessionRecord d4 = deadA.connect(user("d4"));
        SessionRecord l1 = liveB.connect(user("l1"));
        SessionRecord l2 = liveB.connect(user("l2"));
        SessionRecord l3 = liveB.connect(user("l3"));
        deadA.rooms().requestJoin(d1, r1.id());
        deadA.rooms().requestJoin(d2, r1.id());
        deadA.rooms().requestJoin(d3, r2.id());
        liveB.rooms().requestJoin(l1, r1.id());
        liveB.rooms().requestJoin(l2, r2.id());
        // d4 and l3 are connected but in no room

        assertEquals(4, liveB.rooms().purgeNode("purge-dead"));

        assertEquals(List.of(l1.sessionId()), a.cluster().members(r1.id()));
        assertEquals(List.of(l2.sessionId()), a.cluster().members(r2.id()));
        assertTrue(b.cluster().sessionsOfNode("purge-dead").isEmpty());
        for (SessionRecord gone : List.of(d1, d2, d3, d4)) {
            assertTrue(b.cluster().session(gone.sessionId()).isEmpty(), gone.sessionId());
        }
        assertEquals(Set.of(l1.sessionId(), l2.sessionId(), l3.sessionId()),
                ids(List.copyOf(a.cluster().sessionsOfNode("purge-live"))));
        assertEquals(r1.id(), a.cluster().session(l1.sessionId()).orElseThrow().roomId());
        assertEquals(0, liveB.rooms().purgeNode("purge-dead"), "purging twice finds nothing");
        Await.until(Duration.ofSeconds(10), "node-gone events", () ->
                a.events(r1.id(), "member-left").size() == 2 && a.events(r2.id(), "member-left").size() == 1);
        assertTrue(a.events(r1.id(), "member-left").stream().allMatch(e -> e.getString("reason").equals("node-gone")));
    }

    @Test
    void roomTokenOfAnotherSessionIsTokenMismatch() {
        Room room = a.rooms().create(owner, "mismatch", null);
        SessionRecord mine = a.connect(user("mine"));
        SessionRecord theirs = b.connect(user("theirs"));
        a.rooms().requestJoin(mine, room.id());
        String theirToken = b.rooms().requestJoin(theirs, room.id());

        assertFailsWith(ErrorCode.TOKEN_MISMATCH, () -> a.rooms().confirmJoin(mine.sessionId(), theirToken));

        SessionRecord joined = b.rooms().confirmJoin(theirs.sessionId(), theirToken);
        assertEquals(room.id(), joined.roomId());
        Await.until(Duration.ofSeconds(10), "member-joined on the other node",
                () -> a.events(room.id(), "member-joined").size() == 1);
        JsonObject event = a.events(room.id(), "member-joined").get(0);
        assertEquals(theirs.sessionId(), event.getString("sessionId"));
        assertEquals("node-b", event.getString("nodeId"));
    }

    @Test
    void aOneStepJoinMovesTheSessionAndAnnouncesItLikeTheTwoStepFlow() {
        Room first = a.rooms().create(owner, "one step", null);
        Room second = a.rooms().create(owner, "one step, next", null);
        User stepper = user("one-stepper");
        SessionRecord s = b.connect(stepper);

        assertEquals(first.id(), b.rooms().join(s.sessionId(), first.id()).roomId());
        Await.until(Duration.ofSeconds(10), "member-joined on the other node",
                () -> a.events(first.id(), "member-joined").size() == 1);
        assertEquals(s.sessionId(), a.events(first.id(), "member-joined").get(0).getString("sessionId"));
        assertEquals(List.of(), a.rooms().history(stepper, first.id(), 10), "the visit is recorded: history is readable");

        b.rooms().join(s.sessionId(), second.id());
        assertEquals(List.of(), a.cluster().members(first.id()), "moving left the first room");
        assertEquals(List.of(s.sessionId()), a.cluster().members(second.id()));
        Await.until(Duration.ofSeconds(10), "member-left of the first room",
                () -> a.events(first.id(), "member-left").size() == 1);

        assertFailsWith(ErrorCode.ROOM_NOT_FOUND, () -> b.rooms().join(s.sessionId(), "no-such-room"));
        b.rooms().disconnect(s.sessionId(), "closed");
        assertFailsWith(ErrorCode.SESSION_NOT_CONNECTED, () -> b.rooms().join(s.sessionId(), first.id()));
    }

    @Test
    void roomTokenOfTheRoomTheSessionMovedAwayFromIsNotInRoom() {
        Room first = a.rooms().create(owner, "first", null);
        Room second = a.rooms().create(owner, "second", null);
        SessionRecord s = a.connect(user("mover"));
        String firstToken = a.rooms().requestJoin(s, first.id());
        SessionRecord inFirst = a.cluster().session(s.sessionId()).orElseThrow();
        String secondToken = b.rooms().requestJoin(inFirst, second.id());

        assertFailsWith(ErrorCode.NOT_IN_ROOM, () -> a.rooms().confirmJoin(s.sessionId(), firstToken));
        assertEquals(List.of(), a.cluster().members(first.id()), "moving left the first room");
        assertEquals(List.of(s.sessionId()), a.cluster().members(second.id()));
        assertEquals(second.id(), a.rooms().confirmJoin(s.sessionId(), secondToken).roomId());

        a.rooms().leave(s.sessionId(), "left");
        assertFailsWith(ErrorCode.NOT_IN_ROOM, () -> a.rooms().confirmJoin(s.sessionId(), secondToken));
    }

    @Test
    void confirmJoinRejectsNonRoomTokens() {
        SessionGrant grant = a.sessions().open(user("kinds"));
        SessionRecord s = a.sessions().connect(grant.sessionToken());
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> a.rooms().confirmJoin(s.sessionId(), grant.sessionToken()));
        assertFailsWith(ErrorCode.TOKEN_MISSING, () -> a.rooms().confirmJoin(s.sessionId(), null));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> a.rooms().confirmJoin(s.sessionId(), "garbage"));
        TokenService foreignKey = new TokenService(new byte[32], Clock.systemUTC());
        String forged = foreignKey.issue(TokenClaims.room(s.userId(), "x", s.sessionId(), "any", Long.MAX_VALUE / 2));
        assertFailsWith(ErrorCode.TOKEN_INVALID, () -> a.rooms().confirmJoin(s.sessionId(), forged));
    }

    @Test
    void unknownRoomsAreRoomNotFound() {
        SessionRecord s = a.connect(user("lost"));
        assertFailsWith(ErrorCode.ROOM_NOT_FOUND, () -> a.rooms().requestJoin(s, "no-such-room"));
        assertFailsWith(ErrorCode.ROOM_NOT_FOUND, () -> a.rooms().get("x".repeat(65)));
        assertFailsWith(ErrorCode.ROOM_NOT_FOUND, () -> a.rooms().get(null));
        assertFailsWith(ErrorCode.ROOM_NOT_FOUND, () -> a.rooms().history("no-such-room", 10));
        assertTrue(a.cluster().members("no-such-room").isEmpty());
    }

    @Test
    void roomNamesAreValidated() {
        assertEquals("", a.rooms().create(owner, null, null).name());
        assertEquals("Trimmed", a.rooms().create(owner, "  Trimmed  ", null).name());
        assertEquals(100, a.rooms().create(owner, "n".repeat(100), null).name().length());
        assertFailsWith(ErrorCode.INVALID_ROOM_NAME, () -> a.rooms().create(owner, "n".repeat(101), null));
        assertFailsWith(ErrorCode.INVALID_ROOM_NAME, () -> a.rooms().create(owner, "bad\u0000name", null));
        assertFailsWith(ErrorCode.INVALID_ROOM_NAME, () -> a.rooms().create(owner, "bad\nname", null));
        Room created = a.rooms().create(owner, "persisted", null);
        Room read = b.rooms().get(created.id());
        assertEquals(created.id(), read.id());
        assertEquals(created.name(), read.name());
        assertEquals(created.ownerId(), read.ownerId());
        // the store keeps milliseconds (see the report: create() hands out nanoseconds)
        assertEquals(created.createdAt().truncatedTo(ChronoUnit.MILLIS), read.createdAt());
    }

    @Test
    void aPickedUrlNameIsTheRoomsIdOnEveryNodeAndRandomIdsStayTheDefault() {
        Room named = a.rooms().create(owner, "Weekly sync", "  weekly-sync ");
        assertEquals("weekly-sync", named.id());
        assertEquals("Weekly sync", b.rooms().get("weekly-sync").name());
        assertTrue(a.rooms().create(owner, "no URL name", null).id().matches("[A-Za-z0-9]{10}"));
        assertTrue(a.rooms().create(owner, "blank URL name", " ").id().matches("[A-Za-z0-9]{10}"));
        assertEquals("abc", a.rooms().create(owner, null, "abc").id());
        assertEquals("a1-" + "b".repeat(45), a.rooms().create(owner, null, "a1-" + "b".repeat(45)).id());
    }

    @Test
    void urlNamesOutsideTheRulesAndReservedWordsAreInvalidRoomNames() {
        for (String bad : List.of("ab", "x".repeat(49), "Wé-sync", "weekly_sync", "weekly sync", "-weekly", "weekly-",
                "weekly--sync", "wéekly", "week/ly", "admin", "api", "new", "login", "static", "metrics")) {
            assertFailsWith(ErrorCode.INVALID_ROOM_NAME, () -> a.rooms().create(owner, null, bad));
            assertTrue(a.rooms().find(bad.strip()).isEmpty(), bad);
        }
    }

    @Test
    void aUrlNameWithCapitalsIsFoldedWhenCreatedAndWhenLookedUpAndTheRoomIsJoinedUnderItsOwnId() {
        Room created = a.rooms().create(owner, "Team sync", " Team-Sync ");
        assertEquals("team-sync", created.id());
        assertEquals("Team sync", b.rooms().get("TEAM-SYNC").name());
        assertEquals("team-sync", b.rooms().get("Team-sync").id());
        RoomTakenException taken = (RoomTakenException) assertFailsWith(ErrorCode.ROOM_TAKEN,
                () -> b.rooms().create(user("copycat"), "mine", "team-SYNC"));
        assertEquals("team-sync-2", taken.suggestion().orElseThrow());
        assertFailsWith(ErrorCode.INVALID_ROOM_NAME, () -> a.rooms().create(owner, null, "ADMIN"));

        User typist = user("typist");
        SessionRecord s = b.connect(typist);
        assertEquals("team-sync", b.rooms().join(s.sessionId(), "Team-Sync").roomId());
        assertEquals(List.of(s.sessionId()), a.cluster().members("team-sync"));
        assertTrue(a.cluster().members("Team-Sync").isEmpty(), "no second member list under the typed id");
        assertEquals(List.of(), a.rooms().history(typist, "TEAM-sync", 10), "the visit is recorded under the room's id");
        b.rooms().disconnect(s.sessionId(), "closed");
    }

    @Test
    void aMixedCaseIdAsTypedWinsOverTheUrlNameItFoldsTo() {
        store.rooms().create(new Room("RandomLike", "the random one", owner.id(), Instant.now())); // a random id's shape
        a.rooms().create(owner, "the picked one", "randomlike");
        assertEquals("the random one", b.rooms().get("RandomLike").name());
        assertEquals("the picked one", b.rooms().get("randomlike").name());
        assertEquals("the picked one", b.rooms().get("RANDOMLIKE").name());
        assertFailsWith(ErrorCode.ROOM_NOT_FOUND, () -> b.rooms().get("No-Such-Room"));
    }

    @Test
    void aTakenUrlNameIsRoomTakenWithAFreeVariantAndTheFirstRoomKeepsIt() {
        Room first = a.rooms().create(owner, "first", "standup");
        RoomTakenException taken = (RoomTakenException) assertFailsWith(ErrorCode.ROOM_TAKEN,
                () -> b.rooms().create(user("other"), "second", "standup"));
        assertEquals("standup-2", taken.suggestion().orElseThrow());
        b.rooms().create(owner, null, "standup-2");
        RoomTakenException again = (RoomTakenException) assertFailsWith(ErrorCode.ROOM_TAKEN,
                () -> b.rooms().create(owner, null, "standup"));
        assertEquals("standup-3", again.suggestion().orElseThrow());
        assertEquals(first.ownerId(), a.rooms().get("standup").ownerId());
        assertEquals("first", b.rooms().get("standup").name());

        String longest = "l".repeat(RoomUrlName.MAX_LENGTH);
        a.rooms().create(owner, null, longest);
        String variant = ((RoomTakenException) assertFailsWith(ErrorCode.ROOM_TAKEN,
                () -> a.rooms().create(owner, null, longest))).suggestion().orElseThrow();
        assertEquals("l".repeat(RoomUrlName.MAX_LENGTH - 2) + "-2", variant);
        assertEquals(variant, a.rooms().create(owner, null, variant).id(), "the suggestion is a valid, free URL name");
    }

    @Test
    void ofTwoNodesCreatingOneUrlNameAtOnceExactlyOneGetsIt() throws Exception {
        List<Callable<String>> tasks = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Node node = i % 2 == 0 ? a : b;
            String creator = "racer-" + i;
            tasks.add(() -> {
                try {
                    return node.rooms().create(owner, creator, "raced-name").name();
                } catch (RoomTakenException e) {
                    return "taken";
                }
            });
        }
        List<String> outcomes = runConcurrently(tasks);

        List<String> winners = outcomes.stream().filter(o -> !o.equals("taken")).toList();
        assertEquals(1, winners.size(), "outcomes: " + outcomes);
        assertEquals(winners.get(0), b.rooms().get("raced-name").name());
    }

    @Test
    void chatIsValidatedStoredAndDeliveredToEveryNode() {
        Room room = a.rooms().create(owner, "chat", null);
        SessionRecord outside = a.connect(user("outside"));
        assertFailsWith(ErrorCode.NOT_IN_ROOM, () -> a.rooms().chat(outside, "hello?"));

        SessionRecord talker = a.connect(user("talker"));
        a.rooms().confirmJoin(talker.sessionId(), a.rooms().requestJoin(talker, room.id()));
        SessionRecord inRoom = a.cluster().session(talker.sessionId()).orElseThrow();
        assertFailsWith(ErrorCode.INVALID_MESSAGE, () -> a.rooms().chat(inRoom, null));
        assertFailsWith(ErrorCode.INVALID_MESSAGE, () -> a.rooms().chat(inRoom, ""));
        assertFailsWith(ErrorCode.INVALID_MESSAGE, () -> a.rooms().chat(inRoom, " \t\n "));
        assertFailsWith(ErrorCode.INVALID_MESSAGE, () -> a.rooms().chat(inRoom, "x".repeat(RoomService.MAX_CHAT_TEXT + 1)));

        ChatMessage first = a.rooms().chat(inRoom, "first <b>line</b> \"quoted\" 🎥");
        ChatMessage longest = a.rooms().chat(inRoom, "y".repeat(RoomService.MAX_CHAT_TEXT));
        assertEquals(room.id(), first.roomId());
        assertEquals(talker.userId(), first.userId());

        List<ChatMessage> history = b.rooms().history(room.id(), 10);
        assertEquals(List.of(first.id(), longest.id()), history.stream().map(ChatMessage::id).toList());
        assertEquals(first.text(), history.get(0).text());

        assertEquals(2, b.rooms().history(owner, room.id(), 10).size(), "the owner reads the history");
        User talkerUser = new User(talker.userId(), "talker", "Display talker", "unused-hash", "user", Instant.now());
        assertEquals(2, b.rooms().history(talkerUser, room.id(), 10).size(), "so does a user who joined");
        assertFailsWith(ErrorCode.FORBIDDEN, () -> b.rooms().history(user("stranger"), room.id(), 10));

        Await.until(Duration.ofSeconds(10), "chat events on node b", () -> b.events(room.id(), "chat").size() == 2);
        JsonObject event = b.events(room.id(), "chat").get(0);
        assertEquals(first.text(), event.getString("text"));
        assertEquals(first.id(), event.getString("id"));
        // the sender's node hears its own event too, on Hazelcast's event thread, not before chat() returns
        Await.until(Duration.ofSeconds(10), "chat events on node a", () -> a.events(room.id(), "chat").size() == 2);
    }
}
