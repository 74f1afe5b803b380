// werift peer connections confined to the benchmark's namespace address: no STUN/TURN server
// (werift's default config names a public STUN server: we replace it with an empty list), IPv4
// only, sockets bound to the media address, VP8 + Opus, one bundled transport; `rid` adds the rid
// header extension to video (a simulcast publisher).
import { RTCPeerConnection, useVP8, useOPUS, useSdesMid, useSdesRTPStreamId } from 'werift';

export function makePc(ip, { rid = false } = {}) {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    iceUseIpv4: true,
    iceInterfaceAddresses: { udp4: ip },
    iceUseLinkLocalAddress: false,
    bundlePolicy: 'max-bundle',
    codecs: { audio: [useOPUS()], video: [useVP8()] },
    headerExtensions: { audio: [useSdesMid()], video: rid ? [useSdesMid(), useSdesRTPStreamId()] : [useSdesMid()] },
  });
}

/** Resolves once ICE gathering is complete (or after ms), so the SDP carries the candidates. */
export function gathered(pc, ms = 5000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    const sub = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'complete') { clearTimeout(t); sub.unSubscribe(); resolve(); }
    });
  });
}

export function waitFor(pred, ms, what) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      let v;
      try { v = pred(); } catch (e) { reject(e); return; }
      if (v) { resolve(v); return; }
      if (Date.now() - start > ms) { reject(new Error(`timeout waiting for ${what}`)); return; }
      setTimeout(tick, 20);
    };
    tick();
  });
}
