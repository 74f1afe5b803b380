package dev.visage.api.room;

import java.time.Instant;

/** A persistent room: its id is the URL-safe part of the room's URL. */
public record Room(String id, String name, String ownerId, Instant createdAt) {
}
