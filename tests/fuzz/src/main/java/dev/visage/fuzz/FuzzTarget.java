package dev.visage.fuzz;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One fuzz target: a class with {@code public static void fuzzerTestOneInput(byte[])} (and, if it
 * needs set-up, {@code public static void fuzzerInitialize()}), the Jazzer/libFuzzer convention.
 * The method throws when a property fails: any exception or error that escapes it is a crash.
 * Its stored inputs (seeds and every input that ever crashed) are the test resources under
 * {@code fuzz/<name>/}.
 *
 * @param name        the directory name of its inputs and work files, e.g. {@code rtp}
 * @param targetClass the class holding {@code fuzzerTestOneInput}
 * @param coverage    the classes Jazzer instruments for coverage besides {@code dev.visage.**}: the
 *                    third-party parsers the target drives (e.g. {@code org.ice4j.**})
 * @param maxLength   the longest input to try (a datagram, a signalling message)
 */
public record FuzzTarget(String name, Class<?> targetClass, List<String> coverage, int maxLength) {

    private static final Set<Class<?>> INITIALIZED = ConcurrentHashMap.newKeySet();

    public FuzzTarget {
        coverage = List.copyOf(coverage);
    }

    /** Runs one input in this JVM, initializing the target class first if it has not been. */
    public void run(byte[] input) throws Throwable {
        try {
            if (INITIALIZED.add(targetClass)) {
                Method init = initializer();
                if (init != null) {
                    init.invoke(null);
                }
            }
            targetClass.getMethod("fuzzerTestOneInput", byte[].class).invoke(null, (Object) input);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private Method initializer() {
        try {
            return targetClass.getMethod("fuzzerInitialize");
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
