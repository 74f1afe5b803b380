package dev.visage.web.limit;

import dev.visage.web.node.VisageNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The node's one {@link RateLimits}, from its configuration, made on first use (after deployment). */
@ApplicationScoped
public class RateLimitsProducer {

    @Produces
    @Singleton
    RateLimits rateLimits(VisageNode node) {
        return new RateLimits(node.config());
    }
}
