package dev.visage.users.mongo;

import dev.visage.api.audit.AuditEntry;
import dev.visage.api.audit.AuditStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MongoAuditStoreTest {

    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    @TempDir
    Path dataDir;

    private MongoStorePlugin plugin;
    private AuditStore audit;

    @BeforeEach
    void startPlugin() throws Exception {
        plugin = TestContext.startedPlugin(TestContext.of(dataDir));
        audit = plugin.audit();
    }

    @AfterEach
    void closePlugin() {
        plugin.close();
    }

    @Test
    void recentListsTheNewestEntriesFirstWithEveryField() {
        AuditEntry kick = new AuditEntry("a1", T0, "u1", "alice", "kick", "session s1", "room r1");
        AuditEntry drain = new AuditEntry("a2", T0.plusSeconds(5), "u2", "bob", "drain", "node node-2", "");
        AuditEntry close = new AuditEntry("a3", T0.plusSeconds(9), "u1", "alice", "close-room", "room r1", "2 members");
        audit.append(kick);
        audit.append(close);
        audit.append(drain);

        assertEquals(List.of(close, drain), audit.recent(2));
        assertEquals(List.of(close, drain, kick), audit.recent(10));
        assertEquals(List.of(), audit.recent(0));
    }
}
