package dev.visage.web.rest;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Cross-origin access to the REST API and /health. A page loaded from one node measures its RTT
 * to every node ({@code GET <httpUrl>/api/nodes/ping}) and opens its session on the nearest one, so the
 * API must answer other origins. Authentication is a bearer token in a header, never a cookie,
 * so any origin may call ({@code Access-Control-Allow-Origin: *}, no credentials); preflights
 * ({@code OPTIONS} with {@code Access-Control-Request-Method}) are answered here with 204.
 */
@WebFilter(urlPatterns = {"/api/*", "/health"}, asyncSupported = true)
public class CorsFilter extends HttpFilter {

    static final String ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
    static final String ALLOWED_HEADERS = "Authorization, Content-Type, Accept";

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request.getHeader("Origin") != null) {
            response.setHeader("Access-Control-Allow-Origin", "*");
            // lets a page read the precise timing of its RTT probes (Resource Timing)
            response.setHeader("Timing-Allow-Origin", "*");
            if ("OPTIONS".equals(request.getMethod())
                    && request.getHeader("Access-Control-Request-Method") != null) {
                response.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
                response.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
                response.setHeader("Access-Control-Max-Age", "600");
                response.setStatus(HttpServletResponse.SC_NO_CONTENT);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
