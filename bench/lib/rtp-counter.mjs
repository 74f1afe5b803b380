// What a light benchmark subscriber knows about the SRTP datagrams it receives, from their clear
// headers only (SRTP leaves the RTP header and the first 8 bytes of RTCP unencrypted): per SSRC
// packets, bytes and the extended highest sequence number (RFC 3550 A.1, without probation), so
// loss = expected - received; RTCP is only counted.

const SEQ_MOD = 0x10000;

class StreamCount {
  constructor(ssrc, seq) {
    this.ssrc = ssrc;
    this.cycles = 0;
    this.maxSeq = seq;
    this.baseExt = seq - 1; // expected counts from the first packet
    this.packets = 0;
    this.bytes = 0;
    this.rr = { ext: seq - 1, packets: 0 }; // at the last receiver report
    this.mark = null; // at window start: { ext, packets, bytes }
  }
  get ext() { return this.cycles + this.maxSeq; }
  add(seq, bytes) {
    this.packets++;
    this.bytes += bytes;
    const ahead = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
    if (ahead > 0 && ahead < SEQ_MOD / 2) {
      if (seq < this.maxSeq) this.cycles += SEQ_MOD;
      this.maxSeq = seq;
    }
  }
}

export class RtpCounter {
  constructor() {
    this.streams = [];
    this.rtcp = 0;
  }

  /** Counts one SRTP/SRTCP datagram; returns its sequence number for RTP, -1 for RTCP. */
  add(data) {
    const pt = data[1];
    if (pt >= 192 && pt <= 223) { this.rtcp++; return -1; } // RFC 5761: RTCP packet types 192-223
    const ssrc = data.readUInt32BE(8), seq = data.readUInt16BE(2);
    let s = null;
    for (const x of this.streams) if (x.ssrc === ssrc) { s = x; break; }
    if (!s) {
      s = new StreamCount(ssrc, seq);
      if (this.marked) s.mark = { ext: s.baseExt, packets: 0, bytes: 0 };
      this.streams.push(s);
    }
    s.add(seq, data.length);
    return seq;
  }

  /** Window start: what was received and expected so far. */
  mark() {
    this.marked = true;
    for (const s of this.streams) s.mark = { ext: s.ext, packets: s.packets, bytes: s.bytes };
  }

  /** Since mark(): { received, expected, bytes } over all streams. */
  sinceMark() {
    let received = 0, expected = 0, bytes = 0;
    for (const s of this.streams) {
      if (!s.mark) continue;
      received += s.packets - s.mark.packets;
      expected += s.ext - s.mark.ext;
      bytes += s.bytes - s.mark.bytes;
    }
    this.marked = false;
    return { received, expected, bytes };
  }

  /** Report blocks for an RTCP receiver report, each since the previous one (RFC 3550 6.4.1). */
  reportBlocks() {
    return this.streams.map((s) => {
      const expected = s.ext - s.rr.ext, received = s.packets - s.rr.packets;
      const lostNow = expected - received;
      s.rr = { ext: s.ext, packets: s.packets };
      const lost = s.ext - s.baseExt - s.packets;
      return {
        ssrc: s.ssrc,
        fractionLost: expected > 0 && lostNow > 0 ? Math.min(255, Math.floor((lostNow * 256) / expected)) : 0,
        packetsLost: Math.max(0, Math.min(0x7fffff, lost)), // werift writes it unsigned
        highestSequence: s.ext >>> 0,
      };
    });
  }
}
