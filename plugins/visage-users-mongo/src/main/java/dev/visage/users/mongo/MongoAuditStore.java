package dev.visage.users.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import dev.visage.api.audit.AuditEntry;
import dev.visage.api.audit.AuditStore;
import org.bson.Document;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * Operator actions in the {@code audit} collection, appended only. {@code _id} is left to the
 * driver: its ObjectId orders entries of the same millisecond from one node.
 */
final class MongoAuditStore implements AuditStore {

    private final MongoCollection<Document> audit;

    MongoAuditStore(MongoDatabase database) {
        audit = database.getCollection("audit");
        audit.createIndex(Indexes.descending("at"));
    }

    @Override
    public void append(AuditEntry entry) {
        audit.insertOne(new Document("id", entry.id())
                .append("at", Date.from(entry.at()))
                .append("actorId", entry.actorId())
                .append("actorName", entry.actorName())
                .append("action", entry.action())
                .append("target", entry.target())
                .append("detail", entry.detail()));
    }

    @Override
    public List<AuditEntry> recent(int limit) {
        if (limit <= 0) {
            return List.of(); // MongoDB reads a limit of 0 as "no limit"
        }
        return audit.find().sort(Sorts.descending("at", "_id")).limit(limit)
                .map(d -> new AuditEntry(d.getString("id"), d.getDate("at").toInstant(), d.getString("actorId"),
                        d.getString("actorName"), d.getString("action"), d.getString("target"), d.getString("detail")))
                .into(new ArrayList<>());
    }
}
