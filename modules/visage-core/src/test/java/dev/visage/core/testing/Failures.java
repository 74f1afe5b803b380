package dev.visage.core.testing;

import dev.visage.core.error.ErrorCode;
import dev.visage.core.error.VisageException;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Asserts that an action fails with a given stable error code. */
public final class Failures {

    private Failures() {
    }

    public static VisageException assertFailsWith(ErrorCode code, Executable action) {
        VisageException e = assertThrows(VisageException.class, action);
        assertEquals(code, e.code(), () -> "expected " + code + " but got " + e.code() + ": " + e.getMessage());
        return e;
    }
}
