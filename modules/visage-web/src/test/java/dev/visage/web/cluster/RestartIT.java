package dev.visage.web.cluster;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One node on the embedded defaults ({@code ./visage run}): what users create survives a restart,
 * and a node stopping tells its clients to move.
 */
class RestartIT {

    private static final Duration START = Duration.ofSeconds(240);

    @Test
    void usersRoomsAndChatSurviveARestartAndClientsHearTheShutdown() throws Exception {
        Path data = NodeProcess.freshDir("it-restart");
        String cluster = "visage-restart-" + ProcessHandle.current().pid();
        String room;
        try (NodeProcess node = NodeProcess.start("solo", 18191, 11110, data, cluster, 5960, Map.of())
                .awaitHealthy(START)) {
            Api api = new Api(node.baseUrl());
            assertEquals(201, api.post("/api/users",
                    Api.json("username", "frank", "password", "frank-password", "displayName", "Frank"), null).status());
            assertEquals(409, api.post("/api/users",
                    Api.json("username", "frank", "password", "other-password"), null).status());
            assertEquals(401, api.post("/api/login", Api.json("username", "frank", "password", "nope-nope"), null)
                    .status());
            String token = api.login("frank", "frank-password");
            room = api.createRoom(token, "Persistent");
            SignalSocket socket = SignalSocket.open(api, token);
            socket.join(api, room);
            socket.send("{\"type\":\"chat\",\"text\":\"remember me\"}");
            socket.awaitType("chat");

            node.stop();
            socket.awaitType("node-shutdown");
            socket.closed.handle((code, failure) -> null).get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        try (NodeProcess node = NodeProcess.start("solo", 18191, 11110, data, cluster, 5960, Map.of())
                .awaitHealthy(START)) {
            Api api = new Api(node.baseUrl());
            Api.Reply login = api.post("/api/login", Api.json("username", "frank", "password", "frank-password"), null);
            assertEquals(200, login.status());
            String token = login.json().getString("userToken");
            JsonObject roomJson = api.get("/api/rooms/" + room, token).json();
            assertEquals("Persistent", roomJson.getString("name"));
            assertEquals(0, roomJson.getJsonArray("members").size(), "nobody is left in the room after the stop");
            JsonArray history = (JsonArray) Api.parse(api.get("/api/rooms/" + room + "/messages", token).body());
            assertEquals(1, history.size());
            assertEquals("remember me", history.getJsonObject(0).getString("text"));
            assertEquals("Frank", history.getJsonObject(0).getString("displayName"));
        }
    }
}
