package dev.visage.sfu.sdp;

import java.util.List;

/** Our side of a transport as written into SDP. */
public record TransportParams(String ufrag, String password, String fingerprint, List<String> candidates) {
}
