// Synthetic media for the benchmark: VP8 frames read from an IVF file (made offline by
// bench/run.sh with ffmpeg, or built here when there is no file), packetized per RFC 7741, and
// fake Opus packets. Every RTP payload ends with a 16-byte trailer the subscribers read back:
//   "VBM1" | uint32 packet id | uint64 send time (process.hrtime.bigint(), CLOCK_MONOTONIC, ns)
// The SFUs forward without decoding (they may rewrite SSRC, sequence numbers and timestamps, as
// Janus does), so the trailer is what identifies a packet end to end; only the VP8 payload
// descriptor and the first bytes of each frame (key-frame bit) matter to the servers.
import { readFileSync, existsSync } from 'node:fs';

export const TRAILER = 16;
const MAGIC = 0x56424d31; // "VBM1"
const MAX_PAYLOAD = 1100; // VP8 bytes per packet, before descriptor and trailer

export function loadVp8Frames(path) {
  if (path && existsSync(path)) {
    const buf = readFileSync(path);
    if (buf.toString('ascii', 0, 4) !== 'DKIF') throw new Error(`${path}: not an IVF file`);
    const hdrLen = buf.readUInt16LE(6);
    const frames = [];
    let off = hdrLen;
    while (off + 12 <= buf.length) {
      const size = buf.readUInt32LE(off);
      const data = buf.subarray(off + 12, off + 12 + size);
      off += 12 + size;
      if (data.length === 0) continue;
      frames.push({ data, key: (data[0] & 0x01) === 0 });
    }
    if (!frames.length || !frames[0].key) throw new Error(`${path}: no frames or no key frame first`);
    return { frames, source: path };
  }
  return { frames: syntheticFrames(300, 90), source: 'synthetic (no IVF file)' };
}

// Minimal VP8 frames: a key frame header (frame tag, start code, 640x360) or an inter frame tag,
// then filler; sizes like a 750 kbit/s 30 fps stream (key frames ~12 KB, inter frames ~3 KB).
function syntheticFrames(count, gop) {
  const frames = [];
  for (let i = 0; i < count; i++) {
    const key = i % gop === 0;
    const size = key ? 12000 : 2600 + ((i * 7919) % 800);
    const d = Buffer.alloc(size, (i * 31) & 0xff);
    const first = size - 10; // first partition size, 19 bits
    const tag = (key ? 0 : 1) | (0 << 1) | (1 << 4) | (first << 5);
    d[0] = tag & 0xff; d[1] = (tag >> 8) & 0xff; d[2] = (tag >> 16) & 0xff;
    if (key) { d[3] = 0x9d; d[4] = 0x01; d[5] = 0x2a; d.writeUInt16LE(640, 6); d.writeUInt16LE(360, 8); }
    frames.push({ data: d, key });
  }
  return frames;
}

/** Splits one VP8 frame into RTP payloads (descriptor with a 15-bit picture id + trailer room). */
export function packetizeVp8(frame, pictureId) {
  const out = [];
  const n = Math.ceil(frame.length / MAX_PAYLOAD);
  const per = Math.ceil(frame.length / n);
  for (let i = 0, off = 0; off < frame.length; i++, off += per) {
    const chunk = frame.subarray(off, Math.min(frame.length, off + per));
    const p = Buffer.allocUnsafe(4 + chunk.length + TRAILER);
    p[0] = 0x80 | (i === 0 ? 0x10 : 0); // X, S on the first packet, partition 0
    p[1] = 0x80; // I: picture id present
    p[2] = 0x80 | ((pictureId >> 8) & 0x7f); // M: 15-bit picture id
    p[3] = pictureId & 0xff;
    chunk.copy(p, 4);
    out.push(p);
  }
  return out;
}

/** A fake 20 ms Opus packet (TOC byte for CELT fullband 20 ms, then filler) with trailer room. */
export function opusPayload(size = 100) {
  const p = Buffer.alloc(size + TRAILER, 0x55);
  p[0] = 0xfc;
  return p;
}

export function stamp(payload, id) {
  const o = payload.length - TRAILER;
  payload.writeUInt32BE(MAGIC, o);
  payload.writeUInt32BE(id >>> 0, o + 4);
  payload.writeBigUInt64BE(process.hrtime.bigint(), o + 8);
}

/** Returns [id, sendTimeNs] or null when the payload carries no trailer. */
export function readStamp(payload) {
  const o = payload.length - TRAILER;
  if (o < 0 || payload.readUInt32BE(o) !== MAGIC) return null;
  return [payload.readUInt32BE(o + 4), payload.readBigUInt64BE(o + 8)];
}
