package dev.visage.sfu.relay;

import dev.visage.api.plugin.PluginContext;

import java.util.Locale;

/**
 * Settings of the node-to-node relay, read once at start from {@link PluginContext#setting}:
 * <pre>
 * visage.relay.port           UDP port of this node's relay socket, on its media address  (media port + 1000)
 * visage.relay.srtp-profile   gcm | cm: AEAD_AES_128_GCM or AES128_CM_HMAC_SHA1_80 on relay legs  (gcm)
 * visage.relay.enabled        false turns the relay off: rooms then stay per node            (true)
 * </pre>
 * and the legs' keys from the node's cluster key for {@value RelayKeys#PURPOSE}.
 */
public record RelayConfig(int port, int srtpProfile, boolean enabled, RelayKeys keys) {

    public static RelayConfig from(PluginContext ctx, int mediaPort) {
        int port = Integer.parseInt(ctx.setting("visage.relay.port").orElse(String.valueOf(mediaPort + 1000)).trim());
        String profile = ctx.setting("visage.relay.srtp-profile").orElse("gcm").trim().toLowerCase(Locale.ROOT);
        boolean enabled = !"false".equalsIgnoreCase(ctx.setting("visage.relay.enabled").orElse("true").trim());
        return new RelayConfig(port, profile.equals("cm") ? RelayKeys.AES_CM : RelayKeys.AES_GCM, enabled,
                new RelayKeys(ctx.clusterKey(RelayKeys.PURPOSE)));
    }
}
