package dev.visage.web.rest;

import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The live nodes of the cluster, for clients choosing the nearest one and for the console. */
@Path("nodes")
@Produces(MediaType.APPLICATION_JSON)
public class NodeResource {

    @Inject
    VisageNode node;

    @GET
    public String list() {
        JsonArrayBuilder nodes = Json.createArrayBuilder();
        node.registry().liveNodes().forEach(n -> nodes.add(Json.createObjectBuilder()
                .add("id", n.id()).add("region", n.region()).add("httpUrl", n.httpUrl()).add("wsUrl", n.wsUrl())
                .add("mediaPort", n.mediaPort()).add("load", n.load()).add("capacity", n.capacity())
                .add("full", n.load() >= n.capacity()).add("heartbeatAt", n.heartbeatAt())));
        return nodes.build().toString();
    }
}
