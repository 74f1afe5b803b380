package dev.visage.web.rest;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.audit.AuditEntry;
import dev.visage.api.cluster.NodeInfo;
import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.room.Room;
import dev.visage.api.user.User;
import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.api.json.JsonMaps;
import dev.visage.core.room.RoomEvents;
import dev.visage.web.admin.NodeCommands;
import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The operators' API, {@code /api/admin/...}: every call checks the caller's admin role on the
 * server (token and store, {@code 403 admin_required} otherwise), and every action is written to
 * the audit log before it is answered.
 */
@Path("admin")
@Consumes(MediaType.WILDCARD)
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private static final int MAX_AUDIT = 500;

    @Inject
    VisageNode node;

    private User admin(String authorization) {
        return node.accounts().requireAdmin(BearerToken.from(authorization));
    }

    /** The live nodes with their sessions, load, CPU, heap, uptime and health. */
    @GET
    @Path("nodes")
    public String nodes(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        admin(authorization);
        long now = System.currentTimeMillis();
        JsonArrayBuilder nodes = JSON.createArrayBuilder();
        for (NodeInfo n : node.registry().liveNodes()) {
            nodes.add(JSON.createObjectBuilder().add("id", n.id()).add("region", n.region()).add("httpUrl", n.httpUrl())
                    .add("sessions", n.load()).add("capacity", n.capacity()).add("draining", n.draining())
                    .add("health", n.draining() ? "DRAINING" : n.vitals().storeUp() ? "UP" : "DEGRADED")
                    .add("cpuLoad", n.vitals().cpuLoad()).add("heapUsedBytes", n.vitals().heapUsedBytes())
                    .add("heapMaxBytes", n.vitals().heapMaxBytes()).add("startedAt", n.startedAt())
                    .add("uptimeSeconds", Math.max(0, (now - n.startedAt()) / 1000)).add("heartbeatAt", n.heartbeatAt()));
        }
        return JSON.createObjectBuilder().add("answeredBy", node.config().nodeId()).add("nodes", nodes).build().toString();
    }

    /** The live rooms of the whole cluster with their members and the node each member is on. */
    @GET
    @Path("rooms")
    public String rooms(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        admin(authorization);
        Map<String, List<SessionRecord>> byRoom = node.cluster().allSessions().stream()
                .filter(s -> s.roomId() != null)
                .collect(Collectors.groupingBy(SessionRecord::roomId, TreeMap::new, Collectors.toList()));
        JsonArrayBuilder rooms = JSON.createArrayBuilder();
        byRoom.forEach((roomId, sessions) -> {
            JsonArrayBuilder members = JSON.createArrayBuilder();
            sessions.forEach(s -> members.add(RoomEvents.member(s)));
            String name = node.rooms().find(roomId).map(Room::name).orElse("");
            rooms.add(JSON.createObjectBuilder().add("roomId", roomId).add("name", name).add("members", members));
        });
        return rooms.build().toString();
    }

    /**
     * This node's media: its relay legs to the other nodes and the streams of every room it
     * holds (what each member publishes and receives, with bitrate, RTT, jitter and loss). The
     * console asks each node in turn, at the node's own URL.
     */
    @GET
    @Path("media")
    public String media(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        admin(authorization);
        JsonArrayBuilder rooms = JSON.createArrayBuilder();
        node.cluster().sessionsOfNode(node.config().nodeId()).stream().map(SessionRecord::roomId)
                .filter(Objects::nonNull).distinct().sorted()
                .forEach(roomId -> rooms.add(JSON.createObjectBuilder().add("roomId", roomId).add("streams",
                        JsonMaps.toJsonArray(node.media().map(m -> m.streamStats(roomId)).orElse(List.of())))));
        return JSON.createObjectBuilder().add("node", node.config().nodeId())
                .add("relayLegs", JsonMaps.toJsonArray(node.media().map(m -> m.relayStats()).orElse(List.of())))
                .add("rooms", rooms).build().toString();
    }

    /** Removes a member from their room: their page says so and does not rejoin by itself. */
    @POST
    @Path("sessions/{sessionId}/kick")
    public String kick(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                       @PathParam("sessionId") String sessionId) {
        User admin = admin(authorization);
        SessionRecord member = node.cluster().session(sessionId).filter(s -> s.roomId() != null)
                .orElseThrow(() -> new VisageException(ErrorCode.MEMBER_NOT_FOUND, "no member with this session id"));
        node.audit().record(admin, "kick", "session " + sessionId,
                member.displayName() + " (" + member.userId() + ") from room " + member.roomId() + " on " + member.nodeId());
        node.cluster().sendNodeCommand(member.nodeId(), NodeCommands.kickCommand(sessionId, member.roomId()));
        return RoomEvents.member(member).add("roomId", member.roomId()).build().toString();
    }

    /** Ends the call in a room: every member's page says the room was closed. */
    @POST
    @Path("rooms/{roomId}/close")
    public String closeRoom(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                            @PathParam("roomId") String requestedRoomId) {
        User admin = admin(authorization);
        String roomId = node.rooms().get(requestedRoomId).id();
        List<SessionRecord> members = node.rooms().members(roomId);
        node.audit().record(admin, "close-room", "room " + roomId, members.size() + " members");
        String command = NodeCommands.closeRoomCommand(roomId);
        members.stream().map(SessionRecord::nodeId).distinct().forEach(n -> node.cluster().sendNodeCommand(n, command));
        return JSON.createObjectBuilder().add("roomId", roomId).add("members", members.size()).build().toString();
    }

    /** The node takes no new sessions and tells its clients to move to another node. */
    @POST
    @Path("nodes/{nodeId}/drain")
    public String drain(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                        @PathParam("nodeId") String nodeId) {
        return setDraining(admin(authorization), nodeId, true);
    }

    /** A drained node takes sessions again. */
    @POST
    @Path("nodes/{nodeId}/undrain")
    public String undrain(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                          @PathParam("nodeId") String nodeId) {
        return setDraining(admin(authorization), nodeId, false);
    }

    private String setDraining(User admin, String nodeId, boolean draining) {
        List<NodeInfo> live = node.registry().liveNodes();
        NodeInfo target = live.stream().filter(n -> n.id().equals(nodeId)).findFirst()
                .orElseThrow(() -> new VisageException(ErrorCode.NODE_NOT_FOUND, "no live node with this id"));
        if (draining && live.stream().noneMatch(n -> !n.id().equals(nodeId) && n.acceptsSessions())) {
            throw new VisageException(ErrorCode.NO_OTHER_NODE,
                    "no other live node takes sessions: its clients would have nowhere to go");
        }
        node.audit().record(admin, draining ? "drain" : "undrain", "node " + nodeId,
                draining ? target.load() + " sessions told to move" : "");
        node.cluster().sendNodeCommand(nodeId, NodeCommands.drainCommand(draining));
        return JSON.createObjectBuilder().add("nodeId", nodeId).add("draining", draining).build().toString();
    }

    /** The users holding the admin role. */
    @GET
    @Path("users")
    public String admins(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        admin(authorization);
        JsonArrayBuilder users = JSON.createArrayBuilder();
        node.accounts().admins().forEach(u -> users.add(userJson(u)));
        return users.build().toString();
    }

    /** Grants ({@code {"role":"admin"}}) or revokes ({@code {"role":"user"}}) the admin role. */
    @PUT
    @Path("users/{username}/role")
    public String setRole(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                          @PathParam("username") String username, String body) {
        User admin = admin(authorization);
        User changed = node.accounts().setRole(admin, username, JsonBody.parse(body).string("role"));
        node.audit().record(admin, changed.isAdmin() ? "grant-admin" : "revoke-admin", "user " + username, "");
        return userJson(changed).build().toString();
    }

    /** The newest audit entries first. */
    @GET
    @Path("audit")
    public String audit(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                        @QueryParam("limit") @DefaultValue("100") int limit) {
        admin(authorization);
        JsonArrayBuilder entries = JSON.createArrayBuilder();
        for (AuditEntry e : node.audit().recent(Math.max(1, Math.min(limit, MAX_AUDIT)))) {
            entries.add(JSON.createObjectBuilder().add("id", e.id()).add("at", e.at().toString())
                    .add("actorId", e.actorId()).add("actor", e.actorName()).add("action", e.action())
                    .add("target", e.target()).add("detail", e.detail()));
        }
        return entries.build().toString();
    }

    private static JsonObjectBuilder userJson(User user) {
        return JSON.createObjectBuilder().add("id", user.id()).add("username", user.username())
                .add("displayName", user.displayName()).add("role", user.role());
    }
}
