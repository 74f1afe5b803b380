package dev.visage.api.audit;

import java.util.List;

/** The persistent audit log of operator actions: appended to, never edited. */
public interface AuditStore {

    void append(AuditEntry entry);

    /** The newest {@code limit} entries, newest first. */
    List<AuditEntry> recent(int limit);
}
