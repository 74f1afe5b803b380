package dev.visage.web.http;

import dev.visage.core.error.ErrorCode;
import dev.visage.web.node.VisageNode;
import dev.visage.web.rest.ApiErrors;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Until the node is READY, every API path, {@code /health}, {@code /metrics} and the signalling
 * socket answer 503 with a JSON {@code {code,message}}: {@code starting} (with what it waits for),
 * {@code start_failed}, or {@code unavailable} while it stops. Load balancers, the launcher and the
 * web client's node probes see "not yet" instead of an error page. The web client's static files
 * are served all along.
 */
@WebFilter(urlPatterns = {"/api/*", "/health", "/metrics", "/ws"}, asyncSupported = true)
public class ReadinessFilter extends HttpFilter {

    @Inject
    VisageNode node;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        switch (node.state()) {
            case READY -> chain.doFilter(request, response);
            case STARTING -> refuse(request, response, ErrorCode.STARTING, "the node is starting: " + node.startingStep());
            case FAILED -> refuse(request, response, ErrorCode.START_FAILED, "the node failed to start; its log says why");
            case STOPPING -> refuse(request, response, ErrorCode.UNAVAILABLE, "the node is stopping");
        }
    }

    private static void refuse(HttpServletRequest request, HttpServletResponse response, ErrorCode code, String message)
            throws IOException {
        if (request.getHeader("Origin") != null) {
            // the CORS filter may not have run yet: a page probing this node should read the 503
            response.setHeader("Access-Control-Allow-Origin", "*");
        }
        response.setStatus(code.httpStatus());
        response.setHeader("Retry-After", "2");
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.getWriter().write(ApiErrors.json(code.wire(), message));
    }
}
