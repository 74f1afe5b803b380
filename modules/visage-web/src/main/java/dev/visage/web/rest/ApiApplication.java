package dev.visage.web.rest;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST API lives under /api; /health, /metrics, /ws and the web client sit beside it. */
@ApplicationPath("/api")
public class ApiApplication extends Application {
}
