package dev.visage.core.cluster;

import dev.visage.api.plugin.PluginContext;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret that makes a node a member of its cluster. Every node of a cluster is given the same
 * one, from configuration: {@value #SECRET_SETTING} (the text itself) or {@value #FILE_SETTING} (a
 * file holding it). A node given neither keeps one of its own in {@code DATA/cluster.secret},
 * generated at its first start, which is all a single node needs.
 * <p>
 * The secret never leaves the node: every use gets its own key, derived with HKDF-SHA256 under a
 * distinct label (the token key, the cluster messages' MAC key, the registry entries' MAC key, the
 * relay's SRTP keys), and no
 * derived key travels through the cluster backend either.
 */
public final class ClusterSecret {

    public static final String SECRET_SETTING = "visage.cluster.secret";
    public static final String FILE_SETTING = "visage.cluster.secret.file";
    /** The purpose of the key that signs tokens. */
    public static final String TOKEN_KEY = "token-key";
    /** The purpose of the key that seals the messages nodes send each other ({@link ClusterSeal}). */
    public static final String MESSAGE_KEY = "cluster-mac";
    /** The purpose of the key that seals the node registry's entries ({@link SealedNodeRegistry}). */
    public static final String REGISTRY_KEY = "node-registry-mac";
    /** 32 characters: what {@code openssl rand -base64 32} (44) and the generated secrets (43) exceed. */
    static final int MIN_LENGTH = 32;
    private static final byte[] SALT = "visage cluster secret v1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] secret;
    private final String origin;

    private ClusterSecret(String text, String origin) {
        if (text.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the cluster secret from " + origin + " is shorter than " + MIN_LENGTH
                    + " characters (generate one with: openssl rand -base64 32)");
        }
        this.secret = text.getBytes(StandardCharsets.UTF_8);
        this.origin = origin;
    }

    /** A secret given as text (tests, and what the configuration holds). */
    public static ClusterSecret of(String text) {
        return new ClusterSecret(text, "the caller");
    }

    /**
     * The node's secret: {@value #SECRET_SETTING}, else the file {@value #FILE_SETTING} names, else
     * the one kept in the data directory (generated now if there is none).
     *
     * @throws UncheckedIOException when the file cannot be read or the kept one written
     */
    public static ClusterSecret load(PluginContext node) {
        return node.setting(SECRET_SETTING).map(text -> new ClusterSecret(text, "VISAGE_CLUSTER_SECRET"))
                .or(() -> node.setting(FILE_SETTING).map(file -> fromFile(Path.of(file), "VISAGE_CLUSTER_SECRET_FILE " + file)))
                .orElseGet(() -> kept(node.dataDir().resolve("cluster.secret")));
    }

    private static ClusterSecret fromFile(Path file, String origin) {
        try {
            return new ClusterSecret(Files.readString(file, StandardCharsets.UTF_8).trim(), origin);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster secret from " + origin, e);
        }
    }

    private static ClusterSecret kept(Path file) {
        String origin = "this node's own " + file + " (no VISAGE_CLUSTER_SECRET given)";
        try {
            if (!Files.exists(file)) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
            }
        } catch (FileAlreadyExistsException raced) {
            // another start wrote it first: read theirs
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the cluster secret in " + file, e);
        }
        return fromFile(file, origin);
    }

    /** Where the secret came from, for the start-up log (never the secret). */
    public String origin() {
        return origin;
    }

    /** A 256-bit key for one purpose: HKDF-SHA256 of the secret with the purpose as its info. */
    public byte[] derive(String purpose) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, SALT, ("visage " + purpose).getBytes(StandardCharsets.UTF_8)));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return key;
    }
}
