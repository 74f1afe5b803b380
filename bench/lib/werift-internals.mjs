// The one place the benchmark reaches into werift's internals (werift 0.24; bench/package-lock.json
// pins it).
// Subscribers, why: a werift subscriber parses every datagram as STUN, decrypts and re-parses every
// RTP packet and fires events per packet, ~40 µs each, so 100 of them already took more CPU than
// the server they measure. A light subscriber keeps werift's ICE (connectivity and consent checks:
// the SFU fails a transport that stops answering them) and DTLS-SRTP handshake, and then takes the
// RTP/RTCP datagrams off werift's UDP socket itself, before werift sees them.
// What is used, none of it public API: RTCPeerConnection.dtlsTransports, RTCDtlsTransport
// .iceTransport.connection.protocols (werift's per-candidate StunProtocol), StunProtocol.transport
// (its UdpTransport) and its onData callback, RTCDtlsTransport.srtp (the SRTP session, set once
// DTLS is up), RTCDtlsTransport.dtls.srtp.srtpProfile (the SRTP profile the server chose),
// RTCRtpReceiver.rtcpRunning (its receiver-report loop), Connection.nominated (the selected pair),
// iceBase.consentResponseTimeoutMs (below).
// Simulcast publisher, why: werift's RTCRtpSender sends one SSRC ("sender simulcast unsupported
// now" in its source), so the benchmark writes each layer's packets, with their own SSRC and rid
// header extension, to the transceiver's RTCDtlsTransport (sendRtp, onRtcp) itself.
// Consent, why: werift (RFC 7675) sends a consent check every ~5 s and counts its answer only if
// it comes within max(500 ms, 2 x RTT + 200 ms), without retransmitting; 30 s without such an answer
// and it stops sending media on the pair, silently, while still answering the server's checks. A
// browser's check is a STUN transaction that retransmits and takes an answer seconds late. In join
// bursts on the benchmark's saturated two cores the publisher went mute (the node heard no RTP from
// it and kept its transport: it still got answers) and hundreds of subscribers failed, which is what
// this expiry does when answers come later than 500 ms for 30 s. lib/ice/src/iceBase.js's consentResponseTimeoutMs (read by its ICE
// code at each check) is set to wait as long as the check interval instead.
import { RtcpRrPacket, RtcpReceiverInfo, RtpHeader, CONSENT_INTERVAL } from 'werift';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// by file name: the package's exports map hides the module, and the module cache makes it the one werift uses
const iceBase = require(join(dirname(require.resolve('werift')), '..', '..', 'ice', 'src', 'iceBase.js'));
iceBase.consentResponseTimeoutMs = () => CONSENT_INTERVAL * 1000;

/**
 * Once ICE is connected, datagrams whose first byte says RTP or RTCP (RFC 7983: 128-191) go to
 * onMedia(data) instead of werift as soon as SRTP is up; STUN and DTLS still go to werift. Returns
 * { decrypt(data): RTP packet in the clear or null, sendReceiverReport(ssrc, blocks), srtpProfile() }.
 */
export function tapMedia(pc, onMedia) {
  let dtls = null;
  const install = () => {
    if (dtls || !pc.dtlsTransports.length) return;
    dtls = pc.dtlsTransports[0]; // one bundled transport (peer.mjs: max-bundle)
    for (const protocol of dtls.iceTransport.connection.protocols) {
      const udp = protocol.transport;
      if (!udp || typeof udp.onData !== 'function') continue;
      const toWerift = udp.onData;
      udp.onData = (data, addr) => {
        const first = data[0];
        if (first >= 128 && first <= 191 && dtls.srtp) onMedia(data);
        else toWerift(data, addr);
      };
    }
    // werift's own receiver reports would describe the packets it no longer sees
    for (const t of pc.getTransceivers()) if (t.receiver) t.receiver.rtcpRunning = false;
  };
  pc.iceConnectionStateChange.subscribe((s) => { if (s === 'connected' || s === 'completed') install(); });
  pc.connectionStateChange.subscribe((s) => { if (s === 'connected') install(); });
  return {
    /** The negotiated SRTP protection profile's name (RFC 5764/7714), once DTLS is up. */
    srtpProfile() {
      const id = dtls?.dtls?.srtp?.srtpProfile;
      return { 1: 'AES_CM_128_HMAC_SHA1_80', 2: 'AES_CM_128_HMAC_SHA1_32', 7: 'AEAD_AES_128_GCM', 8: 'AEAD_AES_256_GCM' }[id] || (id ? `profile ${id}` : undefined);
    },
    decrypt(data) {
      try { return dtls.srtp.decrypt(data); } catch { return null; }
    },
    /** blocks: [{ ssrc, fractionLost, packetsLost, highestSequence }] (no LSR/DLSR: SRs are not decrypted). */
    sendReceiverReport(ssrc, blocks) {
      if (!dtls || !dtls.srtcp) return;
      const reports = blocks.map((b) => new RtcpReceiverInfo({ ...b, jitter: 0, lsr: 0, dlsr: 0 }));
      dtls.sendRtcp([new RtcpRrPacket({ ssrc, reports })]).catch(() => {});
    },
  };
}

/**
 * Sends RTP on a transceiver's transport as it is, bypassing its sender: { ssrc, payloadType,
 * sequenceNumber, timestamp, marker, extensions: [{ id, payload }] }.
 */
export function sendRawRtp(transceiver, header, payload) {
  return transceiver.dtlsTransport.sendRtp(payload, new RtpHeader(header));
}

/** Every RTCP packet the transport of `transceiver` receives, whatever SSRC it names. */
export function onAnyRtcp(transceiver, handler) {
  transceiver.dtlsTransport.onRtcp.subscribe(handler);
}

/** The local UDP port of a peer connection's selected ICE pair, once there is one. */
export function selectedLocalPort(pc) {
  return pc.dtlsTransports[0]?.iceTransport.connection.nominated?.localCandidate?.port;
}
