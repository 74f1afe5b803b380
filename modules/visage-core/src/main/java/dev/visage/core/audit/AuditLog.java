package dev.visage.core.audit;

import dev.visage.api.audit.AuditEntry;
import dev.visage.api.audit.AuditStore;
import dev.visage.api.user.User;
import dev.visage.core.id.RandomIds;

import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/** Who did what, when: every operator action, kept in the store and written to the node's log. */
public final class AuditLog {

    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());

    private final AuditStore store;
    private final Clock clock;
    private final String nodeId;

    public AuditLog(AuditStore store, Clock clock, String nodeId) {
        this.store = store;
        this.clock = clock;
        this.nodeId = nodeId;
    }

    public AuditEntry record(User actor, String action, String target, String detail) {
        AuditEntry entry = new AuditEntry(RandomIds.of(16), clock.instant(), actor.id(), actor.username(), action,
                target, detail);
        store.append(entry);
        LOG.info(() -> "node=" + nodeId + " audit: " + actor.username() + " " + action + " " + target
                + (detail.isEmpty() ? "" : " (" + detail + ")"));
        return entry;
    }

    public List<AuditEntry> recent(int limit) {
        return store.recent(limit);
    }
}
