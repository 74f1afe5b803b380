package dev.visage.web.metrics;

import com.sun.management.OperatingSystemMXBean;
import dev.visage.core.cluster.ClusterSeal;
import dev.visage.core.cluster.SealedNodeRegistry;
import dev.visage.web.limit.RateLimits;
import dev.visage.web.node.VisageNode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's meters, in one Micrometer Prometheus registry: the JVM's (memory, GC, threads,
 * classes), the process's (CPU, open files, uptime), Visage's own (sessions, cluster, signalling
 * overflows, rate-limit refusals) and the media plugin's. Every series carries the node's
 * {@code node} and {@code region} labels. Built at the first scrape, once the node is ready.
 */
@ApplicationScoped
public class NodeMeters {

    @Inject
    VisageNode node;

    @Inject
    RateLimits limits;

    private PrometheusMeterRegistry registry;
    private JvmGcMetrics gc;
    private PluginMeters plugin;

    /** Prometheus text (format 0.0.4) of every meter. */
    public synchronized String scrape() {
        if (registry == null) {
            registry = build();
        }
        plugin.refresh();
        return registry.scrape();
    }

    private PrometheusMeterRegistry build() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        r.config().commonTags("node", node.config().nodeId(), "region", node.config().region())
                // names promtool's lint refuses: "_ns" abbreviates a unit (process_cpu_seconds_total
                // below says it in seconds), "_count" is for histograms and summaries
                .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                    }
                });
        new JvmMemoryMetrics().bindTo(r);
        gc = new JvmGcMetrics();
        gc.bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ClassLoaderMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        new FileDescriptorMetrics().bindTo(r);
        new UptimeMetrics().bindTo(r);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            FunctionCounter.builder("process_cpu_seconds", os, o -> o.getProcessCpuTime() / 1e9)
                    .description("CPU time the node's JVM has used, user and system").register(r);
        }
        Gauge.builder("visage_sessions_local", node, n -> n.connections().size())
                .description("signalling sockets (sessions) open on this node").register(r);
        FunctionCounter.builder("visage_signalling_outbound_overflows", node, n -> n.connections().outboundOverflows())
                .description("sockets closed because their client stopped reading (outbound queue full)").register(r);
        Gauge.builder("visage_cluster_members", node, VisageNode::clusterSize)
                .description("members of this node's cluster").register(r);
        Gauge.builder("visage_nodes_live", node, n -> n.registry().liveNodes().size())
                .description("nodes in the registry with a fresh heartbeat").register(r);
        for (ClusterSeal.Rejection reason : ClusterSeal.Rejection.values()) {
            FunctionCounter.builder("visage_cluster_messages_rejected", node.seal(), seal -> seal.rejected(reason))
                    .description("messages from the cluster backend dropped: no seal, a MAC that fails (not sealed"
                            + " with this cluster's secret), too old, or replayed")
                    .tag("reason", reason.label()).register(r);
        }
        for (SealedNodeRegistry.Rejection reason : SealedNodeRegistry.Rejection.values()) {
            FunctionCounter.builder("visage_node_registry_entries_rejected", node.registry(), nodes -> nodes.rejected(reason))
                    .description("node registry entries dropped, each once: no seal, a MAC that fails (not written by"
                            + " a node with this cluster's secret), or a heartbeat time too far from this node's clock")
                    .tag("reason", reason.label()).register(r);
        }
        for (Map.Entry<String, AtomicLong> refused : limits.refused().entrySet()) {
            FunctionCounter.builder("visage_rate_limited", refused.getValue(), AtomicLong::get)
                    .description("requests and socket messages refused by a rate limit")
                    .tag("limit", refused.getKey()).register(r);
        }
        plugin = new PluginMeters(r, () -> node.media().map(media -> media.metrics()).orElse(Map.of()));
        return r;
    }

    @PreDestroy
    synchronized void close() {
        if (gc != null) {
            gc.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
