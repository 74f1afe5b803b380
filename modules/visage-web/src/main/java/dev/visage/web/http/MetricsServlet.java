package dev.visage.web.http;

import dev.visage.web.metrics.NodeMeters;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** {@code GET /metrics}: Prometheus text exposition of the node's meters (see {@link NodeMeters}). */
@WebServlet("/metrics")
public class MetricsServlet extends HttpServlet {

    @Inject
    NodeMeters meters;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String text = meters.scrape();
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(text);
    }
}
