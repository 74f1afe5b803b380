package dev.visage.web.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Meters for what a plugin reports through {@code MediaEngine.metrics()}: a map of Prometheus
 * names (labels written inside the name, {@code visage_relay_leg_ready{peer="node-b"}}) to values,
 * so plugins stay on visage-api and never see Micrometer. Names ending in {@code _total} become
 * counters, the others gauges. Each scrape reads the plugin once: series that appear (a new relay
 * leg) get a meter, series that are gone lose theirs.
 */
final class PluginMeters {

    private static final Pattern NAME = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final String COUNTER_SUFFIX = "_total";
    private static final String HELP = "reported by the media plugin";

    private final MeterRegistry registry;
    private final Supplier<Map<String, Number>> source;
    private final Map<String, Meter> meters = new HashMap<>();
    private volatile Map<String, Number> latest = Map.of();

    PluginMeters(MeterRegistry registry, Supplier<Map<String, Number>> source) {
        this.registry = registry;
        this.source = source;
    }

    /** Reads the plugin's values and brings the meters in line with its series; before each scrape. */
    synchronized void refresh() {
        Map<String, Number> values = source.get();
        latest = values;
        meters.entrySet().removeIf(e -> {
            if (values.containsKey(e.getKey())) {
                return false;
            }
            registry.remove(e.getValue());
            return true;
        });
        values.keySet().forEach(series -> meters.computeIfAbsent(series, this::register));
    }

    private Meter register(String series) {
        Matcher name = NAME.matcher(series);
        if (!name.matches()) {
            throw new IllegalArgumentException("not a Prometheus series name: " + series);
        }
        List<Tag> tags = new ArrayList<>();
        if (name.group(2) != null) {
            Matcher label = LABEL.matcher(name.group(2));
            while (label.find()) {
                tags.add(Tag.of(label.group(1), label.group(2)));
            }
        }
        String base = name.group(1);
        if (base.endsWith(COUNTER_SUFFIX)) {
            // Micrometer's Prometheus names add _total to counters themselves
            return FunctionCounter.builder(base.substring(0, base.length() - COUNTER_SUFFIX.length()), this,
                    m -> m.value(series)).tags(tags).description(HELP).register(registry);
        }
        return Gauge.builder(base, this, m -> m.value(series)).tags(tags).description(HELP).register(registry);
    }

    private double value(String series) {
        Number value = latest.get(series);
        return value == null ? Double.NaN : value.doubleValue();
    }
}
