package dev.visage.web.rest;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.cluster.SessionRecord;
import dev.visage.api.room.Room;
import dev.visage.api.json.JsonMaps;
import dev.visage.core.room.RoomEvents;
import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * Rooms: create (a display {@code name} and a picked {@code urlName}, both optional: the URL name is
 * the room's id, a random id otherwise), look up, join (steps 4-6 of the join flow) and chat history.
 */
@Path("rooms")
@Consumes(MediaType.WILDCARD)
@Produces(MediaType.APPLICATION_JSON)
public class RoomResource {

    @Inject
    VisageNode node;

    @Context
    UriInfo uri;

    @POST
    public Response create(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, String body) {
        var owner = node.accounts().authenticate(BearerToken.from(authorization));
        JsonBody request = JsonBody.parse(body);
        Room room = node.rooms().create(owner, request.string("name"), request.string("urlName"));
        return Response.status(Response.Status.CREATED).entity(roomJson(room).toString()).build();
    }

    /** The room and its live members (session and user ids): for logged-in users only. */
    @GET
    @Path("{id}")
    public String get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        node.accounts().authenticate(BearerToken.from(authorization));
        Room room = node.rooms().get(id);
        JsonArrayBuilder members = JSON.createArrayBuilder();
        node.rooms().members(room.id()).forEach(m -> members.add(RoomEvents.member(m)));
        return JSON.createObjectBuilder(roomJson(room)).add("members", members).build().toString();
    }

    @POST
    @Path("{id}/join")
    public String join(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        SessionRecord session = node.sessions().connected(BearerToken.from(authorization));
        Room room = node.rooms().get(id);
        String roomToken = node.rooms().requestJoin(session, room.id());
        return JSON.createObjectBuilder().add("roomToken", roomToken)
                .add("room", JSON.createObjectBuilder().add("id", room.id()).add("name", room.name()))
                .build().toString();
    }

    /** This node's view of the room's media: one entry per stream it receives, sends or relays. */
    @GET
    @Path("{id}/stats")
    public String stats(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        node.accounts().authenticate(BearerToken.from(authorization));
        String roomId = node.rooms().get(id).id();
        var streams = node.media().map(media -> media.streamStats(roomId)).orElse(java.util.List.of());
        return JSON.createObjectBuilder().add("roomId", roomId).add("node", node.config().nodeId())
                .add("streams", JsonMaps.toJsonArray(streams)).build().toString();
    }

    /** Chat history: for the room's owner and users who have joined it (403 {@code forbidden} otherwise). */
    @GET
    @Path("{id}/messages")
    public String messages(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                           @QueryParam("limit") @DefaultValue("200") int limit) {
        var reader = node.accounts().authenticate(BearerToken.from(authorization));
        JsonArrayBuilder history = JSON.createArrayBuilder();
        node.rooms().history(reader, id, Math.max(1, Math.min(limit, 1000)))
                .forEach(m -> history.add(RoomEvents.chatFields(m)));
        return history.build().toString();
    }

    private JsonObject roomJson(Room room) {
        String base = uri.getBaseUri().toString().replaceFirst("/api/?$", "");
        return JSON.createObjectBuilder().add("roomId", room.id()).add("name", room.name())
                .add("url", base + "/r/" + room.id()).add("createdAt", room.createdAt().toString()).build();
    }
}
