package dev.visage.users.mongo;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;

/**
 * The H2 backend, committing its MVStore after every command: a write acknowledged to a client is
 * in the file before the answer leaves, so a store process killed with -9 loses nothing it
 * acknowledged. Left alone, MVStore commits in the background about once a second, and a kill
 * lost the last second of registrations and chat. A command that changed nothing writes nothing.
 */
final class DurableH2Backend extends H2Backend {

    DurableH2Backend(String file) {
        super(file);
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
