package dev.visage.users.mongo;

import com.mongodb.MongoException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoServerUnavailableException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import dev.visage.api.plugin.StoreUnavailableException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Tells "the database cannot be reached" apart from every other driver failure, and turns it into
 * the SPI's {@link StoreUnavailableException}, which the node answers with 503.
 */
final class Reachability {

    private final String location;

    /** {@code location} names the database in log lines, e.g. {@code MongoDB at [db:27017]}. */
    Reachability(String location) {
        this.location = location;
    }

    /**
     * No server to talk to (selection timed out), a connection refused, reset or silent past the
     * read timeout, a pool closed under us, or a replica set between primaries.
     */
    static boolean unreachable(MongoException e) {
        return e instanceof MongoTimeoutException || e instanceof MongoSocketException
                || e instanceof MongoServerUnavailableException || e instanceof MongoNotPrimaryException
                || e instanceof MongoNodeIsRecoveringException;
    }

    /** The unavailability {@code e} means, or {@code e} itself when it means something else. */
    RuntimeException translate(MongoException e) {
        return unreachable(e) ? new StoreUnavailableException(location + " does not answer: " + e.getMessage(), e) : e;
    }

    /** {@code store} behind its interface, with every call's unreachability translated. */
    <T> T guard(Class<T> type, T store) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (proxy, method, args) -> {
            try {
                return method.invoke(store, args);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof MongoException mongo ? translate(mongo) : e.getCause();
            }
        }));
    }
}
