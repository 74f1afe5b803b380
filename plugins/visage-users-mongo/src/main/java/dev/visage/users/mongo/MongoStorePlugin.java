package dev.visage.users.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoException;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.visage.api.audit.AuditStore;
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

    /**
     * How long a call waits for a server to talk to and for a connection: what a request (and a
     * health check) waits when the database is down before it answers 503 (the driver's default
     * is 30 s).
     */
    static final String TIMEOUT_SETTING = "visage.mongo.timeout.ms";
    static final int DEFAULT_TIMEOUT_MS = 2000;
    /** How long a call waits for the answer on an open connection: a hung database. */
    static final String READ_TIMEOUT_SETTING = "visage.mongo.read.timeout.ms";
    static final int DEFAULT_READ_TIMEOUT_MS = 15000;

    private String nodeId;
    private EmbeddedMongoServer embedded;
    private MongoClient client;
    private MongoDatabase database;
    private UserStore users;
    private RoomStore rooms;
    private ChatStore chat;
    private AuditStore audit;

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
            int timeoutMs = intSetting(context, TIMEOUT_SETTING, DEFAULT_TIMEOUT_MS);
            int readTimeoutMs = intSetting(context, READ_TIMEOUT_SETTING, DEFAULT_READ_TIMEOUT_MS);
            client = MongoClients.create(MongoClientSettings.builder()
                    .applicationName("visage " + nodeId)
                    .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(timeoutMs, TimeUnit.MILLISECONDS))
                    .applyToSocketSettings(socket -> socket.connectTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                            .readTimeout(readTimeoutMs, TimeUnit.MILLISECONDS))
                    // Last, so that options written in the URI win over the defaults above.
                    .applyConnectionString(connection)
                    .build());
            String databaseName = context.setting(DATABASE_SETTING).orElse("visage");
            database = client.getDatabase(databaseName);
            // Hosts only: the URI may carry credentials.
            Reachability reachability = new Reachability("MongoDB at " + connection.getHosts());
            try {
                users = reachability.guard(UserStore.class, new MongoUserStore(database));
                rooms = reachability.guard(RoomStore.class, new MongoRoomStore(database));
                chat = reachability.guard(ChatStore.class, new MongoChatStore(database));
                audit = reachability.guard(AuditStore.class, new MongoAuditStore(database));
            } catch (MongoException e) {
                throw reachability.translate(e);
            }
            LOG.log(INFO, "node {0}: store ready on MongoDB {1}, database {2}",
                    nodeId, connection.getHosts(), databaseName);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private static int intSetting(PluginContext context, String name, int fallback) {
        return context.setting(name).map(value -> {
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + name + " is not a number: " + value, e);
            }
        }).orElse(fallback);
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
    public AuditStore audit() {
        return audit;
    }

    @Override
    public boolean healthy() {
        if (database == null) {
            return false;
        }
        try {
            database.runCommand(new Document("ping", 1));
            return true;
        } catch (MongoException e) {
            // the node logs the change of state, not every failed ping
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
