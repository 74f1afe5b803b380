package dev.visage.web.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PluginMetersTest {

    @Test
    void aPluginsSeriesKeepTheirPrometheusNamesAndLabelsAndComeAndGoWithIt() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Map<String, Number> reported = new LinkedHashMap<>();
        reported.put("visage_sfu_endpoints", 3);
        reported.put("visage_sfu_packets_received_total", 1234L);
        reported.put("visage_relay_leg_packets_sent_total{peer=\"node-b\"}", 56L);
        PluginMeters meters = new PluginMeters(registry, () -> Map.copyOf(reported));

        meters.refresh();
        String text = registry.scrape();
        assertTrue(text.contains("# TYPE visage_sfu_endpoints gauge"), text);
        assertTrue(text.contains("visage_sfu_endpoints 3.0"), text);
        assertTrue(text.contains("# TYPE visage_sfu_packets_received_total counter"), text);
        assertTrue(text.contains("visage_sfu_packets_received_total 1234.0"), text);
        assertTrue(text.contains("visage_relay_leg_packets_sent_total{peer=\"node-b\"} 56.0"), text);

        reported.remove("visage_relay_leg_packets_sent_total{peer=\"node-b\"}");
        reported.put("visage_sfu_packets_received_total", 2000L);
        meters.refresh();
        text = registry.scrape();
        assertFalse(text.contains("node-b"), "a relay leg that closed leaves no series: " + text);
        assertTrue(text.contains("visage_sfu_packets_received_total 2000.0"), text);
    }
}
