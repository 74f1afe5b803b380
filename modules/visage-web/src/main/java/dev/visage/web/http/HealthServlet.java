package dev.visage.web.http;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * {@code GET /health} of a started node (before that, {@link ReadinessFilter} answers 503
 * {@code starting}): 200 with {@code status} UP, or DEGRADED while the store does not answer.
 * DEGRADED stays 200 on purpose: the node still carries its calls, signalling and media, and every
 * node shares the one store, so a 503 would make a load balancer drop the whole cluster at once.
 * The body says which; the web client's node probes ({@code /api/nodes/ping}) prefer UP nodes.
 */
@WebServlet("/health")
public class HealthServlet extends HttpServlet {

    @Inject
    VisageNode node;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean storeUp = node.storeUp();
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(JSON.createObjectBuilder()
                .add("status", storeUp ? "UP" : "DEGRADED")
                .add("store", storeUp ? "up" : "down")
                .add("node", node.config().nodeId())
                .add("region", node.config().region())
                .add("clusterSize", node.clusterSize())
                .add("clusterSettled", node.clusterSettled())
                .add("sessions", node.connections().size())
                .add("media", node.media().isPresent())
                .build().toString());
    }
}
