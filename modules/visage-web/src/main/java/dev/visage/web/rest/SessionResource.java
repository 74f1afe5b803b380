package dev.visage.web.rest;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import dev.visage.core.session.SessionGrant;
import dev.visage.web.limit.RateLimits;
import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Step 1 of the join flow: a new session on this node, for one WebSocket connection (its token
 * opens one socket, once: a client that reconnects asks here again).
 */
@Path("sessions")
@Consumes(MediaType.WILDCARD)
@Produces(MediaType.APPLICATION_JSON)
public class SessionResource {

    @Inject
    VisageNode node;

    @Inject
    RateLimits limits;

    @POST
    public Response open(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        var user = node.accounts().authenticate(BearerToken.from(authorization));
        if (node.draining()) {
            throw new VisageException(ErrorCode.NODE_DRAINING,
                    "this node is being drained by an operator; pick another from /api/nodes");
        }
        limits.checkNewSession(user.id());
        if (node.connections().size() >= node.config().capacity()) {
            throw new VisageException(ErrorCode.NODE_FULL, "this node is full; pick another from /api/nodes");
        }
        SessionGrant grant = node.sessions().open(user);
        var self = node.selfInfo();
        return Response.status(Response.Status.CREATED).entity(JSON.createObjectBuilder()
                .add("sessionId", grant.sessionId()).add("sessionToken", grant.sessionToken())
                .add("node", JSON.createObjectBuilder().add("id", self.id()).add("region", self.region())
                        .add("httpUrl", self.httpUrl()).add("wsUrl", self.wsUrl()))
                .build().toString()).build();
    }
}
