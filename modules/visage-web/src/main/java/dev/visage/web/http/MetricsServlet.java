package dev.visage.web.http;

import dev.visage.web.node.VisageNode;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/** {@code GET /metrics}: Prometheus text exposition of the node's and the media engine's counters. */
@WebServlet("/metrics")
public class MetricsServlet extends HttpServlet {

    @Inject
    VisageNode node;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Number> metrics = new TreeMap<>();
        metrics.put("visage_sessions_local", node.connections().size());
        metrics.put("visage_signalling_outbound_overflows_total", node.connections().outboundOverflows());
        metrics.put("visage_cluster_members", node.clusterSize());
        metrics.put("visage_nodes_live", node.registry().liveNodes().size());
        node.media().ifPresent(media -> metrics.putAll(media.metrics()));
        StringBuilder out = new StringBuilder();
        String labels = "node=\"" + node.config().nodeId() + "\",region=\"" + node.config().region() + "\"";
        metrics.forEach((name, value) -> out.append(withLabels(name, labels)).append(' ').append(value).append('\n'));
        response.setContentType("text/plain; version=0.0.4");
        response.getWriter().write(out.toString());
    }

    /** {@code name} or {@code name{a="b"}} with the node's labels added. */
    static String withLabels(String name, String labels) {
        int brace = name.indexOf('{');
        return brace < 0 ? name + "{" + labels + "}" : name.substring(0, name.length() - 1) + "," + labels + "}";
    }
}
