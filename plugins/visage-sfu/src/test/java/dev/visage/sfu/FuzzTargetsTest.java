package dev.visage.sfu;

import dev.visage.fuzz.FuzzTarget;
import dev.visage.fuzz.FuzzTargetTests;
import dev.visage.sfu.bwe.TransportCcFuzzTarget;
import dev.visage.sfu.codec.H264FuzzTarget;
import dev.visage.sfu.dtls.DtlsFuzzTarget;
import dev.visage.sfu.ice.StunFuzzTarget;
import dev.visage.sfu.room.RtcpFuzzTarget;
import dev.visage.sfu.room.RtpFuzzTarget;
import dev.visage.sfu.room.SdpFuzzTarget;
import dev.visage.sfu.transport.DatagramFuzzTarget;

import java.util.List;

/** The SFU's parsers under fuzzing (see {@link FuzzTargetTests}). */
class FuzzTargetsTest extends FuzzTargetTests {
    @Override
    protected List<FuzzTarget> targets() {
        return List.of(
                new FuzzTarget("datagram", DatagramFuzzTarget.class, List.of(), 1600),
                new FuzzTarget("stun", StunFuzzTarget.class, List.of("org.ice4j.**"), 1600),
                new FuzzTarget("rtp", RtpFuzzTarget.class, List.of(), 1600),
                new FuzzTarget("rtcp", RtcpFuzzTarget.class, List.of(), 1600),
                new FuzzTarget("transport-cc", TransportCcFuzzTarget.class, List.of(), 1600),
                new FuzzTarget("h264", H264FuzzTarget.class, List.of(), 1600),
                new FuzzTarget("dtls", DtlsFuzzTarget.class, List.of("org.bouncycastle.tls.**"), 8192),
                new FuzzTarget("sdp", SdpFuzzTarget.class, List.of(), 16384));
    }
}
