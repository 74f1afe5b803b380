package dev.visage.core.plugin;

import dev.visage.api.plugin.Plugin;

import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** Finds the plugin of a kind that configuration names, among those on the class path. */
public final class PluginLoader {

    private PluginLoader() {
    }

    public static <P extends Plugin> Optional<P> find(Class<P> kind, String name, ClassLoader loader) {
        return ServiceLoader.load(kind, loader).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(name))
                .findFirst();
    }

    public static <P extends Plugin> List<String> available(Class<P> kind, ClassLoader loader) {
        return ServiceLoader.load(kind, loader).stream().map(p -> p.get().name()).toList();
    }
}
