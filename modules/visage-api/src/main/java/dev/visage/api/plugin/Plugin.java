package dev.visage.api.plugin;

/**
 * A deployable part of Visage found through {@link java.util.ServiceLoader}. The node picks one
 * implementation of each plugin kind by {@link #name()} from its configuration.
 */
public interface Plugin extends AutoCloseable {

    /** Short stable name used in configuration, e.g. {@code mongo} or {@code sfu}. */
    String name();

    void start(PluginContext context) throws Exception;

    @Override
    void close();
}
