// The benchmark's publisher: one werift peer sending the VP8 clip (30 fps unless told) and
// Opus-sized packets at 50 per second, every payload stamped with a packet id and send time (lib/media.mjs);
// a PLI or FIR is answered with the clip's next key frame. With simulcast layers (media.layers:
// [{ rid, frames }], clips of one length with key frames at the same places) it offers one rid per
// layer, as a browser does (a=rid, a=simulcast, no a=ssrc), and sends every layer's frame each
// tick on an SSRC of its own with the rid header extension; a key-frame request moves all layers.
import { RtpHeader, RtpPacket, MediaStreamTrack } from 'werift';
import { makePc, waitFor } from './peer.mjs';
import { sendRawRtp, onAnyRtcp, selectedLocalPort } from './werift-internals.mjs';
import { packetizeVp8, opusPayload, stamp } from './media.mjs';
import { visageSetup, visagePublish } from './visage.mjs';
import { janusPublish } from './janus.mjs';

export class Publisher {
  constructor(ip, media, fps = 30) {
    this.media = media;
    this.fps = fps;
    this.layers = media.layers || null;
    this.pc = makePc(ip, { rid: !!this.layers });
    this.video = new MediaStreamTrack({ kind: 'video' });
    this.audio = new MediaStreamTrack({ kind: 'audio' });
    this.vt = this.pc.addTransceiver(this.video, {
      direction: 'sendonly',
      ...(this.layers ? { simulcast: this.layers.map(({ rid }) => ({ rid, direction: 'send' })) } : {}),
    });
    this.at = this.pc.addTransceiver(this.audio, { direction: 'sendonly' });
    this.nextId = 1;
    this.seqV = 1000; this.seqA = 5000; this.tsV = 0; this.tsA = 0; this.pic = 0; this.frame = 0;
    this.plis = 0; this.keyFramesForced = 0; this.lastForced = 0; this.wantKey = false;
    this.sent = 0; this.sendErrors = 0;
    const onRtcp = (p) => {
      if (p.type === 206 && (p.feedback?.count === 1 || p.feedback?.count === 4)) { this.plis++; this.wantKey = true; }
    };
    if (this.layers) onAnyRtcp(this.vt, onRtcp); // werift routes RTCP to its sender's one SSRC only
    else this.vt.sender.onRtcp.subscribe(onRtcp);
  }

  /** The offer to send: a simulcast offer names its streams by rid only, without a=ssrc in the video section. */
  offerSdp() {
    const sdp = this.pc.localDescription.sdp;
    if (!this.layers) return sdp;
    const [head, ...sections] = sdp.split(/\r\n(?=m=)/);
    return [head, ...sections.map((m) => (m.startsWith('m=video') ? m.split('\r\n').filter((l) => !/^a=ssrc(-group)?:/.test(l)).join('\r\n') : m))].join('\r\n');
  }

  /** After negotiation: the layers' SSRCs, sequence numbers and the mid and rid extension ids. */
  prepareLayers() {
    const video = this.pc.localDescription.sdp.split(/\r\n(?=m=)/).find((m) => m.startsWith('m=video'));
    const extId = (uri) => parseInt((video.split('\r\n').find((l) => l.startsWith('a=extmap:') && l.endsWith(` ${uri}`)) || '').slice(9), 10);
    this.midExt = { id: extId('urn:ietf:params:rtp-hdrext:sdes:mid'), payload: Buffer.from(this.vt.mid) };
    // werift's sender puts the negotiated payload type on what it sends; these packets bypass it
    this.vp8Pt = parseInt((video.match(/a=rtpmap:(\d+) VP8\/90000/i) || [])[1], 10);
    const ridId = extId('urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id');
    if (!this.midExt.id || !ridId || !this.vp8Pt) throw new Error('simulcast publisher: mid or rid header extension or VP8 not negotiated');
    this.layers.forEach((l, i) => Object.assign(l, { ssrc: 0x5100 + i, seq: 2000 * (i + 1), ridExt: { id: ridId, payload: Buffer.from(l.rid) } }));
  }
  start() {
    const t0 = process.hrtime.bigint();
    let vDue = 0, aDue = 0; // ms since t0
    this.timer = setInterval(() => {
      const now = Number(process.hrtime.bigint() - t0) / 1e6;
      let guard = 0;
      while (vDue <= now && guard++ < 5) { this.sendFrame(); vDue += 1000 / this.fps; }
      guard = 0;
      while (aDue <= now && guard++ < 5) { this.sendAudio(); aDue += 20; }
      if (vDue < now - 200) vDue = now; // never burst after a long stall
      if (aDue < now - 200) aDue = now;
    }, 4);
  }
  sendFrame() {
    if (this.wantKey && Date.now() - this.lastForced > 300) {
      // answer PLI/FIR with the next key frame of the clip
      this.wantKey = false; this.lastForced = Date.now(); this.keyFramesForced++;
      let i = this.frame;
      while (!this.media.frames[i % this.media.frames.length].key) i++;
      this.frame = i % this.media.frames.length;
    }
    const index = this.frame;
    this.frame = (this.frame + 1) % this.media.frames.length;
    this.tsV = (this.tsV + 90000 / this.fps) >>> 0;
    this.pic = (this.pic + 1) & 0x7fff;
    if (this.layers) {
      for (const l of this.layers) this.sendLayerFrame(l, l.frames[index]);
      return;
    }
    const payloads = packetizeVp8(this.media.frames[index].data, this.pic);
    payloads.forEach((p, i) => {
      stamp(p, this.nextId++);
      const h = new RtpHeader({ payloadType: 96, sequenceNumber: this.seqV, timestamp: this.tsV, marker: i === payloads.length - 1, ssrc: 0 });
      this.seqV = (this.seqV + 1) & 0xffff;
      this.video.writeRtp(new RtpPacket(h, p));
      this.sent++;
    });
  }
  sendLayerFrame(layer, frame) {
    const payloads = packetizeVp8(frame.data, this.pic);
    payloads.forEach((p, i) => {
      stamp(p, this.nextId++);
      sendRawRtp(this.vt, { payloadType: this.vp8Pt, sequenceNumber: layer.seq, timestamp: this.tsV, marker: i === payloads.length - 1,
        ssrc: layer.ssrc, extension: true, extensions: [this.midExt, layer.ridExt] }, p).then((n) => { if (!n) this.sendErrors++; });
      layer.seq = (layer.seq + 1) & 0xffff;
      this.sent++;
    });
  }
  sendAudio() {
    const p = opusPayload(100);
    stamp(p, this.nextId++);
    this.tsA = (this.tsA + 960) >>> 0;
    const h = new RtpHeader({ payloadType: 111, sequenceNumber: this.seqA, timestamp: this.tsA, marker: false, ssrc: 0 });
    this.seqA = (this.seqA + 1) & 0xffff;
    this.audio.writeRtp(new RtpPacket(h, p));
    this.sent++;
  }
  /** The local UDP port of its selected ICE pair (for the logs). */
  localPort() {
    return selectedLocalPort(this.pc);
  }
  async close() { clearInterval(this.timer); try { this.sig && this.sig.close(); } catch { /* */ } await this.pc.close().catch(() => {}); }
}

/**
 * A publisher connected to the server (Visage: a user and room made for the run; Janus: VideoRoom
 * `room`) and sending; `target` tells the subscriber workers where to subscribe.
 */
export async function startPublishing(server, kind, ip, media, room) {
  const pub = new Publisher(ip, media);
  let target;
  if (kind === 'visage') {
    const setup = await visageSetup(server.base);
    pub.sig = await visagePublish(server.base, setup, pub.pc, () => pub.offerSdp());
    target = { server: 'visage', ip, visage: { base: server.base, setup } };
  } else {
    pub.sig = await janusPublish(server.url, room, pub.pc, () => pub.offerSdp());
    target = { server: 'janus', ip, janus: { url: server.url, room, feed: pub.sig.feed } };
  }
  await waitFor(() => pub.pc.connectionState === 'connected', 20000, 'publisher connected');
  if (pub.layers) pub.prepareLayers();
  pub.start();
  return { pub, target };
}
