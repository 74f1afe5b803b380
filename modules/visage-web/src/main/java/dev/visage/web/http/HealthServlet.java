package dev.visage.web.http;

import static dev.visage.core.json.SharedJsonProvider.JSON;

import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** {@code GET /health}: UP while the node is started and its store answers. */
@WebServlet("/health")
public class HealthServlet extends HttpServlet {

    @Inject
    VisageNode node;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean storeUp = node.store() != null && node.store().healthy();
        response.setStatus(storeUp ? 200 : 503);
        response.setContentType("application/json");
        response.getWriter().write(JSON.createObjectBuilder()
                .add("status", storeUp ? "UP" : "DOWN")
                .add("node", node.config().nodeId())
                .add("region", node.config().region())
                .add("clusterSize", node.cluster().clusterSize())
                .add("sessions", node.connections().size())
                .add("media", node.media().isPresent())
                .build().toString());
    }
}
