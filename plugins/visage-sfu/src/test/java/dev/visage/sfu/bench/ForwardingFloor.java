package dev.visage.sfu.bench;

import dev.visage.sfu.dtls.SrtpKeys;
import dev.visage.sfu.rtp.RtpPacket;
import dev.visage.sfu.srtp.SrtpSession;
import org.jitsi.srtp.SrtpErrorStatus;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;

/**
 * The floor of forwarding one packet on this machine, for {@code ./visage bench}: the CPU time of
 * one SRTP protect (AES-128-CM + HMAC-SHA1-80, jitsi-srtp as the SFU uses it) of a packet copied
 * from a template plus one UDP send on loopback, per packet, in one thread. Nothing an SFU must do
 * per forwarded packet costs less; the benchmark divides each server's CPU per forwarded packet by
 * this figure. Packet sizes follow the benchmark's publisher (VP8 ~950 bytes, Opus ~120 bytes, 2:1).
 * Both SRTP profiles the SFU offers are measured, AES-CM + HMAC-SHA1-80 and AEAD-AES-128-GCM (which
 * a server picks shows in the benchmark's rows).
 *
 * <p>Usage: {@code ForwardingFloor [packetsPerRound] [outJson]}; prints progress and the result.
 */
public final class ForwardingFloor {
    private static final int VIDEO_BYTES = 950;
    private static final int AUDIO_BYTES = 120;
    private static final int ROUNDS = 5;

    public static void main(String[] args) throws IOException {
        int perRound = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path out = args.length > 1 ? Path.of(args[1]) : null;
        double video = measure(SrtpKeys.AES128_CM_HMAC_SHA1_80, VIDEO_BYTES, perRound);
        double audio = measure(SrtpKeys.AES128_CM_HMAC_SHA1_80, AUDIO_BYTES, perRound);
        double mix = (2 * video + audio) / 3;
        double gcmVideo = measure(SrtpKeys.AEAD_AES_128_GCM, VIDEO_BYTES, perRound);
        double gcmAudio = measure(SrtpKeys.AEAD_AES_128_GCM, AUDIO_BYTES, perRound);
        double gcmMix = (2 * gcmVideo + gcmAudio) / 3;
        String json = String.format(Locale.ROOT,
                "{\"videoNsPerPacket\":%.0f,\"audioNsPerPacket\":%.0f,\"mixNsPerPacket\":%.0f,"
                        + "\"gcmVideoNsPerPacket\":%.0f,\"gcmAudioNsPerPacket\":%.0f,\"gcmMixNsPerPacket\":%.0f,"
                        + "\"packetsPerRound\":%d,\"rounds\":%d,\"java\":\"%s\"}",
                video, audio, mix, gcmVideo, gcmAudio, gcmMix, perRound, ROUNDS, System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "[floor] SRTP protect + UDP send per packet, AES-CM + HMAC-SHA1-80: video %d B %.2f µs, audio %d B %.2f µs, bench mix %.2f µs%n",
                VIDEO_BYTES, video / 1000, AUDIO_BYTES, audio / 1000, mix / 1000);
        System.out.printf(Locale.ROOT, "[floor] SRTP protect + UDP send per packet, AEAD-AES-128-GCM: video %.2f µs, audio %.2f µs, bench mix %.2f µs%n",
                gcmVideo / 1000, gcmAudio / 1000, gcmMix / 1000);
        if (out != null) {
            Files.writeString(out, json + "\n");
        }
    }

    /** Median over {@link #ROUNDS} rounds (after one warm-up round) of the sender thread's CPU ns per packet. */
    private static double measure(int profile, int payloadBytes, int perRound) throws IOException {
        byte[] material = new byte[2 * SrtpKeys.keyLength(profile) + 2 * SrtpKeys.saltLength(profile)];
        new SecureRandom().nextBytes(material);
        SrtpSession srtp = new SrtpSession(new SrtpKeys(profile, material));
        byte[] template = new byte[12 + payloadBytes];
        template[0] = (byte) 0x80;
        template[1] = 96;
        RtpPacket.setSsrc(template, 0, 0x1234_5678);
        byte[] buf = new byte[template.length + srtp.tagOverhead];
        ByteBuffer view = ByteBuffer.wrap(buf);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (DatagramChannel sink = DatagramChannel.open(StandardProtocolFamily.INET);
             DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET)) {
            sink.bind(new InetSocketAddress("127.0.0.1", 0));
            InetSocketAddress to = (InetSocketAddress) sink.getLocalAddress();
            Thread drain = startDrain(sink);
            double[] nsPerPacket = new double[ROUNDS];
            int seq = 0;
            for (int round = -1; round < ROUNDS; round++) {
                long start = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < perRound; i++) {
                    System.arraycopy(template, 0, buf, 0, template.length);
                    RtpPacket.setSequence(buf, 0, seq++ & 0xFFFF);
                    if (srtp.protectRtp(buf, 0, template.length, 0x1234_5678) != SrtpErrorStatus.OK) {
                        throw new IllegalStateException("SRTP protect failed");
                    }
                    view.clear().limit(srtp.protectedLength());
                    sender.send(view, to);
                }
                long used = cpu.getCurrentThreadCpuTime() - start;
                if (round >= 0) {
                    nsPerPacket[round] = (double) used / perRound;
                    System.out.printf(Locale.ROOT, "[floor] profile %d, %d-byte payload, round %d/%d: %.2f µs per packet%n",
                            profile, payloadBytes, round + 1, ROUNDS, nsPerPacket[round] / 1000);
                }
            }
            drain.interrupt();
            Arrays.sort(nsPerPacket);
            return nsPerPacket[ROUNDS / 2];
        } finally {
            srtp.close();
        }
    }

    /** Reads the sink so the sender's datagrams are taken off the socket as a subscriber's would be. */
    private static Thread startDrain(DatagramChannel sink) {
        Thread t = new Thread(() -> {
            ByteBuffer in = ByteBuffer.allocate(2048);
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    in.clear();
                    sink.receive(in);
                }
            } catch (IOException closed) {
                // the channel closed: the measurement is over
            }
        }, "floor-drain");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
