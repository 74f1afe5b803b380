package dev.visage.users.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.visage.api.chat.ChatStore;
import dev.visage.api.plugin.PluginContext;
import dev.visage.api.plugin.StorePlugin;
import dev.visage.api.room.RoomStore;
import dev.visage.api.user.UserStore;
import org.bson.Document;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Users, rooms and chat in MongoDB. With {@code visage.mongo.uri} set it uses that server;
 * otherwise it runs an embedded one on a file under the node's data directory, so a single node
 * needs no install. Either way the official driver does all the talking.
 */
public final class MongoStorePlugin implements StorePlugin {

    static final String URI_SETTING = "visage.mongo.uri";
    static final String DATABASE_SETTING = "visage.mongo.database";
    static final String EMBEDDED_FILE_NAME = "visage.mv";

    private static final System.Logger LOG = System.getLogger(MongoStorePlugin.class.getName());

    /** Bounds how long a request (and a health check) waits when the database is unreachable. */
    private static final long SERVER_SELECTION_TIMEOUT_SECONDS = 5;

    private String nodeId;
    private EmbeddedMongoServer embedded;
    private MongoClient client;
    private MongoDatabase database;
    private MongoUserStore users;
    private MongoRoomStore rooms;
    private MongoChatStore chat;

    @Override
    public String name() {
        return "mongo";
    }

    @Override
    public void start(PluginContext context) throws Exception {
        nodeId = context.nodeId();
        try {
            String uri = context.setting(URI_SETTING).orElse(null);
            if (uri == null) {
                uri = startEmbeddedServer(context.dataDir());
            }
            ConnectionString connection = new ConnectionString(uri);
            client = MongoClients.create(MongoClientSettings.builder()
                    .applicationName("visage " + nodeId)
                    .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(
                            SERVER_SELECTION_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    // Last, so that options written in the URI win over the defaults above.
                    .applyConnectionString(connection)
                    .build());
            String databaseName = context.setting(DATABASE_SETTING).orElse("visage");
            database = client.getDatabase(databaseName);
            users = new MongoUserStore(database);
            rooms = new MongoRoomStore(database);
            chat = new MongoChatStore(database);
            // Hosts only: the URI may carry credentials.
            LOG.log(INFO, "node {0}: store ready on MongoDB {1}, database {2}",
                    nodeId, connection.getHosts(), databaseName);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private String startEmbeddedServer(Path dataDir) throws IOException {
        Path file = dataDir.resolve("mongo").resolve(EMBEDDED_FILE_NAME);
        embedded = EmbeddedMongoServer.start(file, "127.0.0.1", 0);
        LOG.log(INFO, "node {0}: no {1} set, embedded MongoDB on {2} (file {3})",
                nodeId, URI_SETTING, embedded.connectionString(), embedded.file());
        return embedded.connectionString();
    }

    @Override
    public UserStore users() {
        return users;
    }

    @Override
    public RoomStore rooms() {
        return rooms;
    }

    @Override
    public ChatStore chat() {
        return chat;
    }

    @Override
    public boolean healthy() {
        if (database == null) {
            return false;
        }
        try {
            database.runCommand(new Document("ping", 1));
            return true;
        } catch (RuntimeException e) {
            LOG.log(WARNING, "node {0}: MongoDB ping failed: {1}", nodeId, e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        database = null;
        if (client != null) {
            client.close();
            client = null;
        }
        if (embedded != null) {
            embedded.close();
            embedded = null;
            LOG.log(INFO, "node {0}: embedded MongoDB stopped", nodeId);
        }
    }
}
