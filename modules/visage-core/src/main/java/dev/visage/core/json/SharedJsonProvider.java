package dev.visage.core.json;

import jakarta.json.spi.JsonProvider;

/**
 * The application's one JSON-P provider. The static methods of {@code jakarta.json.Json} look the
 * provider up again on every call, a ServiceLoader scan of every jar the class loader sees (in a
 * Payara node, about a millisecond of CPU per node heartbeat, session record read or signalling
 * message); builders, readers and values come from this instance instead.
 */
public final class SharedJsonProvider {

    public static final JsonProvider JSON = JsonProvider.provider();

    private SharedJsonProvider() {
    }
}
