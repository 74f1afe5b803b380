package dev.visage.web.node;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Waits for Payara to finish deploying this application before the node loads its plugins.
 *
 * <p>CDI's {@code @Initialized(ApplicationScoped)} fires while the web module is still starting;
 * at the end of that start Payara closes the class loader's JAR files "to avoid a peak number of
 * open files" and reopens them on demand. A class looked up from another thread at that instant
 * fails with "zip file closed", and a class whose static initialiser failed stays broken in that
 * loader: seen in CI as a node answering 503 {@code starting} for ever. Payara announces the end
 * of an application's start on its HK2 event bus ({@code Application_Running}: in Payara Micro
 * after the web module's start, in Payara Server after all an EAR's modules started;
 * {@code SERVER_READY} as a backstop). Those types are Payara's internal API, visible to
 * applications but not published as a Maven artifact, hence the reflection.
 */
final class DeploymentEnd {

    private static final Logger LOG = Logger.getLogger(DeploymentEnd.class.getName());

    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile String endedBy;
    private final Object events;
    private final Object listener;
    private final Method unregister;

    private DeploymentEnd(Object events, Class<?> listenerType, Method unregister, ClassLoader appLoader) {
        this.events = events;
        this.unregister = unregister;
        this.listener = Proxy.newProxyInstance(DeploymentEnd.class.getClassLoader(), new Class<?>[] {listenerType},
                (proxy, method, args) -> switch (method.getName()) {
                    case "event" -> {
                        try {
                            onEvent(args[0], appLoader);
                        } catch (ReflectiveOperationException | RuntimeException e) {
                            // never into the server's deployment: the wait's time-out covers it
                            LOG.warning(() -> "deployment event not understood: " + e);
                        }
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "visage deployment-end listener";
                    default -> null;
                });
    }

    /**
     * Starts listening for the end of this application's deployment; call it on the deploying
     * thread, before the end can happen. Empty when Payara's event bus cannot be reached (another
     * server): then there is nothing to wait for.
     */
    static java.util.Optional<DeploymentEnd> listen(ClassLoader appLoader) {
        try {
            Object locator = Class.forName("org.glassfish.internal.api.Globals").getMethod("getDefaultHabitat").invoke(null);
            Class<?> eventsType = Class.forName("org.glassfish.api.event.Events");
            Class<?> listenerType = Class.forName("org.glassfish.api.event.EventListener");
            Object events = locator.getClass().getMethod("getService", Class.class, Annotation[].class)
                    .invoke(locator, eventsType, new Annotation[0]);
            if (events == null) {
                return java.util.Optional.empty();
            }
            DeploymentEnd end = new DeploymentEnd(events, listenerType, eventsType.getMethod("unregister", listenerType),
                    appLoader);
            eventsType.getMethod("register", listenerType).invoke(events, end.listener);
            return java.util.Optional.of(end);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.warning(() -> "cannot watch the server's deployment events (" + e + "); starting without waiting");
            return java.util.Optional.empty();
        }
    }

    /** The server event that said the deployment ended, for the log. */
    String endedBy() {
        return endedBy;
    }

    /** True once the deployment ended; false if {@code timeout} passed first. */
    boolean await(Duration timeout) throws InterruptedException {
        try {
            return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            try {
                unregister.invoke(events, listener);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.fine(() -> "deployment-end listener not unregistered: " + e);
            }
        }
    }

    private void onEvent(Object event, ClassLoader appLoader) throws ReflectiveOperationException {
        String type = String.valueOf(event.getClass().getMethod("name").invoke(event));
        if ("SERVER_READY".equals(type)
                || "Application_Running".equals(type) && isThisApplication(event, appLoader)) {
            endedBy = type;
            ended.countDown();
        }
    }

    /** The started application's class loader is this module's loader or one of its parents (an EAR's). */
    private static boolean isThisApplication(Object event, ClassLoader appLoader) throws ReflectiveOperationException {
        Object info = event.getClass().getMethod("hook").invoke(event);
        if (info == null) {
            return false;
        }
        Object started = info.getClass().getMethod("getAppClassLoader").invoke(info);
        for (ClassLoader l = appLoader; l != null; l = l.getParent()) {
            if (l == started) {
                return true;
            }
        }
        return false;
    }
}
