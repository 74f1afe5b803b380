package dev.visage.core.cluster;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/** HMAC-SHA256 over text fields, each length-prefixed so that no field can pass for part of its neighbour. */
final class FieldMac {

    private final SecretKeySpec key;
    /** One per thread: looking the algorithm up again per message costs more than the MAC. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    });

    FieldMac(byte[] key) {
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    byte[] over(String... fields) {
        try {
            Mac mac = macs.get();
            mac.init(key);
            for (String field : fields) {
                byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
                mac.update(new byte[]{(byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16),
                        (byte) (bytes.length >>> 8), (byte) bytes.length});
                mac.update(bytes);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
