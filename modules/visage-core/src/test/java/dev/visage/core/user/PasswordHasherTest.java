package dev.visage.core.user;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PasswordHasherTest {

    private final PasswordHasher hasher = new PasswordHasher();

    @Test
    void rightPasswordVerifies() {
        String hash = hasher.hash("correct horse battery staple");
        assertTrue(hasher.verify("correct horse battery staple", hash));
    }

    @Test
    void wrongPasswordDoesNotVerify() {
        String hash = hasher.hash("correct horse battery staple");
        assertFalse(hasher.verify("correct horse battery stapler", hash));
        assertFalse(hasher.verify("", hash));
        assertFalse(hasher.verify("CORRECT HORSE BATTERY STAPLE", hash));
    }

    @Test
    void samePasswordGetsDifferentSaltsAndHashes() {
        String first = hasher.hash("same password");
        String second = hasher.hash("same password");
        assertNotEquals(first, second);
        String[] a = first.split("\\$");
        String[] b = second.split("\\$");
        assertNotEquals(a[4], b[4], "salts must differ");
        assertNotEquals(a[5], b[5], "hashes must differ");
        assertTrue(hasher.verify("same password", first));
        assertTrue(hasher.verify("same password", second));
    }

    @Test
    void hashIsArgon2idInPhcFormatAndNeverContainsThePassword() {
        String hash = hasher.hash("hunter2hunter2");
        assertTrue(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
        assertEquals(6, hash.split("\\$").length);
        assertFalse(hash.contains("hunter2"));
    }

    @Test
    void unicodePasswordsVerify() {
        String hash = hasher.hash("pässwörd-密码-🔑");
        assertTrue(hasher.verify("pässwörd-密码-🔑", hash));
        assertFalse(hasher.verify("passwort-密码-🔑", hash));
    }

    @Test
    void otherHashFormatsDoNotVerify() {
        assertFalse(hasher.verify("x", "$2a$10$abcdefghijklmnopqrstuv"));
        assertFalse(hasher.verify("x", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA"));
        assertFalse(hasher.verify("x", "plain"));
    }
}
