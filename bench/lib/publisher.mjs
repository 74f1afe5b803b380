// The benchmark's publisher: one werift peer sending the VP8 clip (30 fps unless told) and
// Opus-sized packets at 50 per second, every payload stamped with a packet id and send time (lib/media.mjs);
// a PLI or FIR is answered with the clip's next key frame.
import { RtpHeader, RtpPacket, MediaStreamTrack } from 'werift';
import { makePc, waitFor } from './peer.mjs';
import { packetizeVp8, opusPayload, stamp } from './media.mjs';
import { visageSetup, visagePublish } from './visage.mjs';
import { janusPublish } from './janus.mjs';

export class Publisher {
  constructor(ip, media, fps = 30) {
    this.media = media;
    this.fps = fps;
    this.pc = makePc(ip);
    this.video = new MediaStreamTrack({ kind: 'video' });
    this.audio = new MediaStreamTrack({ kind: 'audio' });
    this.vt = this.pc.addTransceiver(this.video, { direction: 'sendonly' });
    this.at = this.pc.addTransceiver(this.audio, { direction: 'sendonly' });
    this.nextId = 1;
    this.seqV = 1000; this.seqA = 5000; this.tsV = 0; this.tsA = 0; this.pic = 0; this.frame = 0;
    this.plis = 0; this.keyFramesForced = 0; this.lastForced = 0; this.wantKey = false;
    this.sent = 0;
    this.vt.sender.onRtcp.subscribe((p) => {
      if (p.type === 206 && (p.feedback?.count === 1 || p.feedback?.count === 4)) { this.plis++; this.wantKey = true; }
    });
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
    const f = this.media.frames[this.frame];
    this.frame = (this.frame + 1) % this.media.frames.length;
    this.tsV = (this.tsV + 90000 / this.fps) >>> 0;
    this.pic = (this.pic + 1) & 0x7fff;
    const payloads = packetizeVp8(f.data, this.pic);
    payloads.forEach((p, i) => {
      stamp(p, this.nextId++);
      const h = new RtpHeader({ payloadType: 96, sequenceNumber: this.seqV, timestamp: this.tsV, marker: i === payloads.length - 1, ssrc: 0 });
      this.seqV = (this.seqV + 1) & 0xffff;
      this.video.writeRtp(new RtpPacket(h, p));
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
    pub.sig = await visagePublish(server.base, setup, pub.pc);
    target = { server: 'visage', ip, visage: { base: server.base, setup } };
  } else {
    pub.sig = await janusPublish(server.url, room, pub.pc);
    target = { server: 'janus', ip, janus: { url: server.url, room, feed: pub.sig.feed } };
  }
  await waitFor(() => pub.pc.connectionState === 'connected', 20000, 'publisher connected');
  pub.start();
  return { pub, target };
}
