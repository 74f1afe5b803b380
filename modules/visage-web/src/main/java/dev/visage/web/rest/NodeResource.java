package dev.visage.web.rest;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.api.cluster.NodeInfo;
import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The live nodes of the cluster, for clients choosing the nearest one and for the console. */
@Path("nodes")
@Produces(MediaType.APPLICATION_JSON)
public class NodeResource {

    @Inject
    VisageNode node;

    @GET
    public String list() {
        JsonArrayBuilder nodes = JSON.createArrayBuilder();
        node.registry().liveNodes().forEach(n -> nodes.add(nodeJson(n).add("heartbeatAt", n.heartbeatAt())));
        return nodes.build().toString();
    }

    /**
     * The RTT probe target: answers at once from memory (no store, no cluster call), with the
     * node's status (UP, or DEGRADED while its store does not answer) so that clients rank the
     * UP nodes first.
     */
    @GET
    @Path("ping")
    public Response ping() {
        return Response.ok(JSON.createObjectBuilder().add("node", node.config().nodeId())
                .add("region", node.config().region()).add("status", node.storeUp() ? "UP" : "DEGRADED")
                .build().toString())
                .header("Cache-Control", "no-store").build();
    }

    /**
     * The server's pick when the client cannot measure RTTs itself: the least-loaded node that is
     * neither full nor draining in region {@code region} (the client's hint, e.g. remembered from its last node);
     * without a hint, or when that region has no free node, the least-loaded free node of this
     * node's own region, then of any region. 503 {@code node_full} when every node is full.
     */
    @GET
    @Path("nearest")
    public Response nearest(@QueryParam("region") String region) {
        List<NodeInfo> live = node.registry().liveNodes();
        String hint = region == null || region.isBlank() ? null : region.trim();
        String own = node.config().region();
        Optional<NodeInfo> pick = (hint != null ? pick(live, hint) : Optional.<NodeInfo>empty())
                .or(() -> pick(live, own)).or(() -> pick(live, null));
        if (pick.isEmpty()) {
            return ApiErrors.response(503, "node_full", "every node is full");
        }
        NodeInfo n = pick.get();
        return Response.ok(nodeJson(n).add("matchedRegion", hint != null && hint.equals(n.region())).build().toString())
                .build();
    }

    static Optional<NodeInfo> pick(List<NodeInfo> nodes, String region) {
        return nodes.stream().filter(NodeInfo::acceptsSessions)
                .filter(n -> region == null || region.equals(n.region()))
                .min(Comparator.comparingDouble((NodeInfo n) -> (double) n.load() / Math.max(1, n.capacity()))
                        .thenComparing(NodeInfo::id));
    }

    private static JsonObjectBuilder nodeJson(NodeInfo n) {
        return JSON.createObjectBuilder().add("id", n.id()).add("region", n.region()).add("httpUrl", n.httpUrl())
                .add("wsUrl", n.wsUrl()).add("mediaPort", n.mediaPort()).add("load", n.load())
                .add("capacity", n.capacity()).add("full", n.load() >= n.capacity()).add("draining", n.draining());
    }
}
