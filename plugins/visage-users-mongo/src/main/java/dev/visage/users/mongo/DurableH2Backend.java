package dev.visage.users.mongo;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import org.h2.mvstore.MVStore;

/**
 * The H2 backend, committing its MVStore after every command: a write acknowledged to a client is
 * in the file before the answer leaves, so a store process killed with -9 loses nothing it
 * acknowledged. Left alone, MVStore commits in the background about once a second, and a kill
 * lost the last second of registrations and chat. A command that changed nothing writes nothing.
 */
final class DurableH2Backend extends H2Backend {

    /**
     * Pages are compressed (LZF): each commit writes a chunk of its own, and the old ones are kept
     * for MVStore's 45 s retention time before their space is reused; uncompressed, 1,600 chat
     * lines in a row grew the file by about 40 KB each, compressed by about 10 KB.
     */
    DurableH2Backend(String file) {
        super(new MVStore.Builder().fileName(file).compress().open());
    }

    @Override
    public Document handleMessage(MongoMessage message) {
        // OP_MSG: every command of the driver (legacy OP_QUERY carries only reads and handshakes)
        try {
            return super.handleMessage(message);
        } finally {
            commit();
        }
    }
}
