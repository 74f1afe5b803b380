#!/usr/bin/env python3
"""Where the time goes on a path through the namespaces: a packet trace at the hub, with kernel
timestamps, and its analysis per hop. Every host's traffic passes the hub, so one clock sees each
packet leave its sender, leave the switch towards the next host, and (as a new packet) leave that
host again: switch hops and the time spent inside each node are measured on the same clock,
packet by packet, independently of what the switch or the nodes report about themselves.

    frame-trace.py capture OUT SECONDS IFACE=HOST[:REGION] ...    (inside the hub namespace)
    frame-trace.py analyse OUT NODE,NODE... [LINKS_FILE] -> JSON on stdout

capture: one AF_PACKET socket per hub-side veth (both directions; SO_TIMESTAMPNS: the time the
kernel saw the frame, not when this process got to read it). Keeps IPv4 UDP frames only, as
fixed 52-byte records: time ns, port, direction (0: sent by HOST, 1: delivered to HOST), IP
addresses, UDP ports and length, the first 28 bytes of the UDP payload (an RTP header and the
start of the ciphertext, unique per datagram).

analyse: prints JSON:
  hops   per (sender > receiver) host pair: UDP datagrams matched byte for byte on both sides of
         the switch, the delay the switch really applied (mean, p50, p95, p99, max, ms) and, with
         LINKS_FILE, the configured delay and jitter;
  nodes  per node (the hosts named NODE, which forward) and (in stream > out stream): the node's transit time, from the switch
         delivering an RTP packet to the node until the node's copy of it leaves the node (the
         copy is found by its SSRC, sequence and timestamp offsets, learnt by vote);
  paths  per (publisher > subscriber, kind): the one-way delay from the publishing browser to the
         subscribing browser, packet by packet, chained through every node on the way, with its
         parts (switch hops, nodes) and the RFC 3550 jitter of that delay (what the network and
         the nodes add, without the sender's own pacing), averaged over the trace; packets a node
         resent after a loss are counted apart (resentCopies, see RESENT_NS); and the RFC 3550
         jitter against the RTP clock at the publisher's port (senderJitterMs: its own pacing) and
         at the subscriber's (receiverJitterMs: what a browser computes, without its own stack).
"""
import bisect
import json
import os
import select
import socket
import struct
import sys
import time
from collections import Counter, defaultdict

import link_rules

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)
PACKET_OUTGOING = 4
RECORD = struct.Struct('<qBB4s4sHHH28s')
# A node's copy of a packet leaving it this long after the packet came in is a resend after a loss
# (a relay leg resends the packet itself on the far node's NACK, so it matches as a late copy). Such
# packets are counted apart, not in a path's delay and jitter: a browser's NACK is answered with RTX
# on another SSRC, which the matching never sees, and a browser's own jitter leaves retransmissions
# out too. A node holds a packet it forwards at once for ~0.1 ms (p99 0.3, max 3.4 ms seen).
RESENT_NS = 10_000_000


def capture(out, seconds, specs):
    ports = []
    for i, spec in enumerate(specs):
        iface, _, host = spec.partition('=')
        host, _, region = host.partition(':')
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((iface, ETH_P_ALL))
        s.setblocking(False)
        ports.append((s, host or iface, region or None))
    by_fd = {s.fileno(): i for i, (s, _, _) in enumerate(ports)}
    poll = select.epoll()
    for fd in by_fd:
        poll.register(fd, select.EPOLLIN)
    records = bytearray()
    pack = RECORD.pack
    end = time.monotonic() + seconds
    ancsize = socket.CMSG_SPACE(16)
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        for fd, _ in poll.poll(min(left, 0.5)):
            i = by_fd[fd]
            s = ports[i][0]
            for _ in range(256):
                try:
                    frame, anc, _, addr = s.recvmsg(14 + 20 + 8 + 28, ancsize)
                except BlockingIOError:
                    break
                # IPv4 (no options assumed only for the UDP offset check), UDP
                if len(frame) < 14 + 20 + 8 or frame[12:14] != b'\x08\x00' or frame[23] != 17:
                    continue
                ihl = (frame[14] & 0x0F) * 4
                if ihl != 20:
                    continue
                t = 0
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack('qq', data[:16])
                        t = sec * 1_000_000_000 + nsec
                sport, dport, ulen = struct.unpack_from('!HHH', frame, 34)
                payload = frame[42:70].ljust(28, b'\0')
                records += pack(t, i, 1 if addr[2] == PACKET_OUTGOING else 0, frame[26:30], frame[30:34],
                                sport, dport, ulen, payload)
    header = json.dumps({'hosts': [h for _, h, _ in ports], 'regions': [r for _, _, r in ports]}).encode() + b'\n'
    with open(out, 'wb') as f:
        f.write(header)
        f.write(records)


# ---------------------------------------------------------------- analysis

def load(path):
    with open(path, 'rb') as f:
        header = json.loads(f.readline())
        data = f.read()
    recs = [RECORD.unpack_from(data, k) for k in range(0, len(data) - RECORD.size + 1, RECORD.size)]
    regions = dict(zip(header['hosts'], header.get('regions') or [None] * len(header['hosts'])))
    return header['hosts'], regions, recs


def resolve_links(path, regions):
    """The configured links of each (host, host) hop, summed (link_rules.py), as the delay switch plays them."""
    if not path:
        return {}
    pairs, access = link_rules.parse(path)
    resolved = {}
    for a, ra in regions.items():
        for b, rb in regions.items():
            crossed = link_rules.crossed(pairs, access, a, ra, b, rb)
            if crossed:
                resolved[(a, b)] = link_rules.summed(crossed)
    return resolved


def stats(values):
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    pick = lambda q: v[min(n - 1, int(q * n))]
    return {'n': n, 'mean': round(sum(v) / n, 2), 'p50': round(pick(0.5), 2), 'p95': round(pick(0.95), 2),
            'p99': round(pick(0.99), 2), 'max': round(v[-1], 2), 'min': round(v[0], 2)}


def rtp_header(payload):
    """(ssrc, seq, ts, pt) of an RTP packet, or None (RTCP, STUN, DTLS...)."""
    if payload[0] >> 6 != 2:
        return None
    pt = payload[1] & 0x7F
    if 64 <= pt <= 95:  # RTCP packet types 192..223
        return None
    seq, ts, ssrc = struct.unpack_from('!HII', payload, 2)
    return ssrc, seq, ts, pt


def averaged_jitter(differences):
    """RFC 3550's interarrival jitter estimate (gain 1/16) over successive transit differences, ms,
    averaged over the trace: its running value taken at every packet, as a receiver polled through
    the window sees it. The value at the end alone weighs only the last ~16 packets, a fraction of
    a second of video: runs of the same path differed by half."""
    j, total, n = 0.0, 0.0, 0
    for d in differences:
        j += (abs(d) - j) / 16
        total += j
        n += 1
    return round(total / n, 3) if n else 0.0


def rfc3550_jitter(pairs):
    """pairs: (send time, arrival time) in send order; the jitter of their transit (averaged_jitter)."""
    transits = [a - s for s, a in pairs]
    return averaged_jitter(b - a for a, b in zip(transits, transits[1:]))


def rtp_jitter(samples, clock_hz):
    """samples: (time ns, seq, RTP timestamp) in the order one port saw them; the jitter a receiver
    there computes against the RTP clock (averaged_jitter; packets older than the newest left out,
    as receivers do). At the publisher's port it is the sender's own pacing; at the subscriber's,
    what the subscriber's stack is handed."""
    in_order, newest = [], None
    for t, seq, ts in samples:
        if newest is None or (seq - newest) & 0xFFFF < 0x8000:
            newest = seq
            in_order.append((t, ts))
    return averaged_jitter((t1 - t0) / 1e6 - ((ts1 - ts0 + 0x80000000) % 0x100000000 - 0x80000000) * 1000.0 / clock_hz
                           for (t0, ts0), (t1, ts1) in zip(in_order, in_order[1:]))


def part_jitter(parts):
    """parts: (first sent ms, delay of this part ms): the RFC 3550 jitter this part alone adds."""
    return rfc3550_jitter(sorted((t, t + d) for t, d in parts))


def analyse(path, node_names, links_path=None):
    hosts, regions, recs = load(path)
    rules = resolve_links(links_path, regions)
    # A datagram: sent by host A (seen at A's port, direction 0), delivered to host B (B's port,
    # direction 1). A retransmission from a cache is the same datagram again (same SRTP index, same
    # bytes): a delivery pairs with the latest sending before it, not with a lost first one.
    sent = defaultdict(list)
    delivered = {}
    for t, port, direction, src, dst, sport, dport, ulen, payload in recs:
        key = (src, dst, sport, dport, ulen, payload)
        if direction == 0:
            sent[key].append((t, port))
        else:
            delivered.setdefault(key, (t, port))
    hop_delays = defaultdict(list)
    packets = []  # (sender, receiver, ssrc, seq, ts, pt, sent ns, delivered ns)
    for key, (t1, b) in delivered.items():
        before = [x for x in sent.get(key, ()) if x[0] <= t1]
        if not before:
            continue
        t0, a = max(before)
        pair = f'{hosts[a]}>{hosts[b]}'
        hop_delays[pair].append((t1 - t0) / 1e6)
        h = rtp_header(key[5])
        if h:
            packets.append((hosts[a], hosts[b], h[0], h[1], h[2], h[3], t0, t1))
    hops = {}
    for pair, ds in sorted(hop_delays.items()):
        a, b = pair.split('>')
        rule = rules.get((a, b))
        entry = {'delayMs': stats(ds)}
        if rule:
            entry['configured'] = {'delayMs': rule.delay_ms, 'jitterMs': rule.jitter_ms, 'lossPercent': rule.loss_percent}
        hops[pair] = entry
    # streams per hop
    streams = defaultdict(list)  # (sender, receiver, ssrc) -> [(sent, delivered, seq, ts, pt)]
    for a, b, ssrc, seq, ts, pt, t0, t1 in packets:
        streams[(a, b, ssrc)].append((t0, t1, seq, ts, pt))
    for v in streams.values():
        v.sort(key=lambda p: p[1])
    # node transit: a stream delivered to node N, and a stream N sends, with constant seq/ts offsets.
    # Votes over (in stream, seq offset, ts offset) for in packets delivered up to 300 ms before each
    # out packet; a regular stream (audio: one packet per 20 ms) votes as much for "the packet k
    # before" as for the right one, so among the well-voted offsets the one with the shortest
    # transit wins.
    delivered_times = {k: [p[1] for p in v] for k, v in streams.items()}
    by_node_in = defaultdict(list)
    for (a, b, ssrc), v in streams.items():
        if b in node_names:
            by_node_in[b].append((a, b, ssrc))
    links_out = {}  # out stream key -> (in stream key, seq delta, ts delta)
    for (a, b, ssrc), out in streams.items():
        if a not in node_names:
            continue
        votes = Counter()
        transit = defaultdict(float)
        for t0, _, seq, ts, pt in out[:: max(1, len(out) // 300)]:
            for key in by_node_in[a]:
                if key[0] == b:
                    continue  # a node does not send a host its own stream back
                inp, times = streams[key], delivered_times[key]
                for k in range(bisect.bisect_left(times, t0 - 300_000_000), bisect.bisect_right(times, t0)):
                    _, t1, s2, ts2, _ = inp[k]
                    vote = (key, (seq - s2) & 0xFFFF, (ts - ts2) & 0xFFFFFFFF)
                    votes[vote] += 1
                    transit[vote] += t0 - t1
        if not votes:
            continue
        best = votes.most_common(1)[0][1]
        if best < 5:
            continue
        good = [v for v, n in votes.items() if n >= best / 2]
        links_out[(a, b, ssrc)] = min(good, key=lambda v: transit[v] / votes[v])
    # the first delivery of each (stream, seq, ts) into a node, for lookups
    arrival = {}
    for key, v in streams.items():
        idx = {}
        for t0, t1, seq, ts, pt in v:
            idx.setdefault((seq, ts), (t0, t1))
        arrival[key] = idx
    nodes = {}
    for out_key, (in_key, dseq, dts) in links_out.items():
        ds = []
        for t0, t1, seq, ts, pt in streams[out_key]:
            hit = arrival[in_key].get(((seq - dseq) & 0xFFFF, (ts - dts) & 0xFFFFFFFF))
            if hit and 0 <= t0 - hit[1] < 2_000_000_000:
                ds.append((t0 - hit[1]) / 1e6)
        nodes.setdefault(out_key[0], {})[f'{in_key[0]}:{in_key[2]:08x} > {out_key[1]}:{out_key[2]:08x}'] = stats(ds)
    # end-to-end: from a stream delivered to a browser, back through the nodes to the publisher
    paths = {}
    for key in streams:
        a, b, ssrc = key
        if b in node_names or key not in links_out:
            continue  # only streams delivered to a browser
        chain = [key]
        while chain[-1] in links_out and len(chain) < 6:
            chain.append(links_out[chain[-1]][0])
        publisher = chain[-1][0]
        if publisher in node_names:
            continue
        kinds = Counter(pt for *_, pt in streams[key])
        pt = kinds.most_common(1)[0][0]
        steps = sorted((q[3] - p[3]) & 0xFFFFFFFF for p, q in zip(streams[key], streams[key][1:]))
        steps = [x for x in steps if 0 < x < 0x80000000]
        kind = 'audio' if steps and steps[len(steps) // 2] == 960 else 'video'  # Opus: 20 ms at 48 kHz
        clock = 48000 if kind == 'audio' else 90000
        total, hop_parts, node_parts, pairs, resent = [], defaultdict(list), defaultdict(list), [], 0
        for t0, t1, seq, ts, _ in streams[key]:
            cur = (seq, ts)
            times = [(key, t0, t1)]
            ok = True
            for k in range(len(chain) - 1):
                _, dseq, dts = links_out[chain[k]]
                cur = ((cur[0] - dseq) & 0xFFFF, (cur[1] - dts) & 0xFFFFFFFF)
                hit = arrival[chain[k + 1]].get(cur)
                if not hit:
                    ok = False
                    break
                times.append((chain[k + 1], hit[0], hit[1]))
            if not ok:
                continue
            first_sent = times[-1][1]
            if not 0 <= t1 - first_sent < 5_000_000_000:
                continue
            if any(s0 - times[k + 1][2] > RESENT_NS for k, (_, s0, _) in enumerate(times[:-1])):
                resent += 1
                continue
            total.append((t1 - first_sent) / 1e6)
            pairs.append((first_sent / 1e6, t1 / 1e6))
            for k, (hk, s0, s1) in enumerate(times):
                hop_parts[f'{hk[0]}>{hk[1]}'].append((first_sent / 1e6, (s1 - s0) / 1e6))
                if k + 1 < len(times):
                    node_parts[hk[0]].append((first_sent / 1e6, (s0 - times[k + 1][2]) / 1e6))
        pairs.sort()
        name = f'{publisher}>{b} {kind} {ssrc:08x}'
        configured = 0.0
        for k in chain:
            rule = rules.get((k[0], k[1]))
            configured += rule.delay_ms if rule else 0.0
        paths[name] = {
            'publisher': publisher, 'subscriber': b, 'kind': kind, 'pt': pt,
            'via': [f'{k[0]}>{k[1]}' for k in reversed(chain)],
            'oneWayMs': stats(total),
            'resentCopies': resent,
            'configuredMs': configured if rules else None,
            'hopsMeanMs': {h: round(sum(d for _, d in v) / len(v), 2) for h, v in hop_parts.items() if v},
            'hopsJitterMs': {h: part_jitter(v) for h, v in hop_parts.items() if v},
            'nodesMeanMs': {n: round(sum(d for _, d in v) / len(v), 2) for n, v in node_parts.items() if v},
            'nodesP95Ms': {n: stats([d for _, d in v])['p95'] for n, v in node_parts.items() if v},
            'nodesJitterMs': {n: part_jitter(v) for n, v in node_parts.items() if v},
            'jitterMs': rfc3550_jitter(pairs),
            'senderJitterMs': rtp_jitter(sorted((t0, seq, ts) for t0, _, seq, ts, _ in streams[chain[-1]]), clock),
            'receiverJitterMs': rtp_jitter([(t1, seq, ts) for _, t1, seq, ts, _ in streams[key]], clock),
        }
    return {'hosts': hosts, 'records': len(recs), 'hops': hops, 'nodes': nodes, 'paths': paths}


def main():
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == 'capture':
        capture(args[1], float(args[2]), args[3:])
    elif len(args) in (3, 4) and args[0] == 'analyse':
        json.dump(analyse(args[1], set(args[2].split(',')), args[3] if len(args) > 3 else None), sys.stdout, indent=1)
        print()
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
