package dev.visage.web.node;

import dev.visage.api.cluster.ClusterState;
import dev.visage.core.config.NodeConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The token key this node proposes to the cluster: {@code visage.token.secret} (base64) if set,
 * otherwise a random key kept in the data directory so tokens outlive a restart of the whole
 * cluster.
 */
final class NodeSecrets {

    private final NodeConfig config;

    NodeSecrets(NodeConfig config) {
        this.config = config;
    }

    /** The cluster's token key, after proposing ours; remembered locally for the next start. */
    byte[] agreeOnTokenKey(ClusterState cluster) {
        byte[] agreed = cluster.sharedSecret("token-key",
                config.setting("visage.token.secret").map(Base64.getDecoder()::decode).orElseGet(this::storedKey));
        try {
            Files.createDirectories(keyFile().getParent());
            Files.writeString(keyFile(), Base64.getEncoder().encodeToString(agreed));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the token key in " + keyFile(), e);
        }
        return agreed;
    }

    private Path keyFile() {
        return config.dataDir().resolve("token.key");
    }

    private byte[] storedKey() {
        Path file = keyFile();
        try {
            if (Files.exists(file)) {
                return Base64.getDecoder().decode(Files.readString(file).trim());
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(file.getParent());
            Files.writeString(file, Base64.getEncoder().encodeToString(key));
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the token key in " + file, e);
        }
    }
}
