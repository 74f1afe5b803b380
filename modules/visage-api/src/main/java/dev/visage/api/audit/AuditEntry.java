package dev.visage.api.audit;

import java.time.Instant;

/**
 * One operator action, as the audit log keeps it: who did what to which target, and when.
 *
 * @param action a stable verb such as {@code kick}, {@code close-room}, {@code drain}, {@code grant-admin}
 * @param target what the action applied to (a session, room, node or user), as the console shows it
 * @param detail free text for the reader, e.g. the room of a kicked member
 */
public record AuditEntry(String id, Instant at, String actorId, String actorName, String action, String target,
                         String detail) {
}
