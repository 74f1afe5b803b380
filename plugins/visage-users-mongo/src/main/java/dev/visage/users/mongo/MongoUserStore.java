package dev.visage.users.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import dev.visage.api.user.DuplicateUsernameException;
import dev.visage.api.user.User;
import dev.visage.api.user.UserStore;
import org.bson.Document;

import java.security.SecureRandom;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/** Users in the {@code users} collection: {@code _id} is the user id, usernames are unique. */
final class MongoUserStore implements UserStore {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final MongoCollection<Document> users;

    MongoUserStore(MongoDatabase database) {
        users = database.getCollection("users");
        // The unique index is what makes registration race-free, across threads and nodes alike.
        users.createIndex(Indexes.ascending("username"), new IndexOptions().unique(true));
    }

    /** Stores the user under a new random id (the given id is ignored) and returns it as stored. */
    @Override
    public User create(User user) throws DuplicateUsernameException {
        // BSON dates hold milliseconds; truncating here makes the result equal what find returns.
        User stored = new User(newId(), user.username(), user.displayName(), user.passwordHash(),
                user.role(), user.createdAt().truncatedTo(ChronoUnit.MILLIS));
        try {
            users.insertOne(new Document("_id", stored.id())
                    .append("username", stored.username())
                    .append("displayName", stored.displayName())
                    .append("passwordHash", stored.passwordHash())
                    .append("role", stored.role())
                    .append("createdAt", Date.from(stored.createdAt())));
        } catch (MongoWriteException e) {
            // The only other unique key is _id: 128 random bits, so a clash means the username.
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw new DuplicateUsernameException(user.username());
            }
            throw e;
        }
        return stored;
    }

    @Override
    public Optional<User> findByUsername(String username) {
        return Optional.ofNullable(users.find(Filters.eq("username", username)).first())
                .map(MongoUserStore::toUser);
    }

    @Override
    public Optional<User> findById(String id) {
        return Optional.ofNullable(users.find(Filters.eq("_id", id)).first())
                .map(MongoUserStore::toUser);
    }

    @Override
    public long count() {
        return users.countDocuments();
    }

    @Override
    public boolean setRole(String userId, String role) {
        return users.updateOne(Filters.eq("_id", userId), Updates.set("role", role)).getMatchedCount() > 0;
    }

    @Override
    public List<User> withRole(String role) {
        return users.find(Filters.eq("role", role)).sort(Sorts.ascending("username"))
                .map(MongoUserStore::toUser).into(new ArrayList<>());
    }

    private static User toUser(Document document) {
        return new User(document.getString("_id"), document.getString("username"),
                document.getString("displayName"), document.getString("passwordHash"),
                document.getString("role"), document.getDate("createdAt").toInstant());
    }

    /** 128 random bits, URL-safe so the id can appear in paths and tokens unescaped. */
    private static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
