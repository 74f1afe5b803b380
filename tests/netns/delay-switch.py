#!/usr/bin/env python3
"""A user-space Ethernet switch that delays frames: the fallback for kernels without sch_netem.

Runs inside the hub namespace. Each port is a hub-side veth given as NAME=REGION:DELAY_MS[:HOST],
DELAY being the one-way delay of REGION's uplink and HOST the name of the namespace behind the
port. A frame between two ports of the same region passes at once; between regions A and B it is
held for delay(A) + delay(B) milliseconds: the same as the netem topology of netns.sh (a bridge
per region, each joined to a core bridge by a netem link). Learning switch (MAC -> port), floods
unknown and broadcast destinations. Offloads pass through untouched with PACKET_VNET_HDR
(checksum-partial and GSO frames keep their virtio-net header), so TCP works without ethtool.

    delay-switch.py hA0=eu:5 hA1=sg:35 hA2=eu:5 ...

Pairwise links (optional, --links FILE): one-way delay, jitter and loss per (source, destination)
pair, which a star of uplinks cannot express (e.g. a direct path worse than a two-hop one), and
per-host access links (a person's last mile, crossed on every path); the rules and how a frame's
links are found are in link_rules.py. Pairs without a rule keep the uplink delays above. Jitter:
each link draws a frame's delay uniformly from DELAY +- JITTER (netem's default distribution), but
frames of one (source, destination) pair never overtake each other (a queue, not a reordering
network: a frame leaves no earlier than the one before it). Loss: each link drops a frame
independently with probability LOSS_PERCENT/100.

--udp-blackout FILE: while FILE exists, every IPv4 UDP frame is dropped, whatever the ports (a
media path that dies while TCP, the signalling socket, keeps going). Checked every 100 ms.

--rate-caps FILE: downlink rate limits, re-read when FILE changes (checked every 100 ms; a
missing FILE is no limit). One rule per line: HOST RATE_KBPS [QUEUE_BYTES]. Frames towards HOST
leave through a token bucket at that rate (after their delay), queued up to QUEUE_BYTES (default:
200 ms at the rate, at least 3000 bytes); a frame that does not fit is dropped (drop-tail), as a
slow access link with a small buffer does. Dropped frames count in the stats as 'capDropped'.

--stats FILE: every 2 s (and on exit) the switch writes, per pair of hosts, frames forwarded,
frames dropped by the loss rule, the mean delay drawn for them and how late, on average, the
switch actually sent them (its own scheduling lag on a busy host; up to 0.5 ms early counts as
negative), as JSON. On a busy host, run it with a real-time priority (chrt -f) so that it
sends held frames when they are due rather than when the scheduler gets to it.
"""
import heapq
import json
import os
import random
import select
import signal
import socket
import sys
import time

import link_rules

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4
VNET_HDR = 10
HALF_MS = 0.0005


def parse_caps(path):
    caps = {}
    try:
        with open(path) as f:
            for raw in f:
                parts = raw.split('#', 1)[0].split()
                if not parts:
                    continue
                rate = float(parts[1]) * 1000.0
                queue = int(parts[2]) if len(parts) > 2 else max(3000, int(rate * 0.2 / 8))
                caps[parts[0]] = (rate, queue)
    except FileNotFoundError:
        pass
    return caps


def main():
    args = sys.argv[1:]
    links, stats_path, blackout_path, caps_path = ({}, {}), None, None, None
    while args and args[0].startswith('--'):
        opt = args.pop(0)
        if opt == '--links':
            try:
                links = link_rules.parse(args.pop(0))
            except ValueError as e:
                raise SystemExit(f'delay-switch: {e}')
        elif opt == '--stats':
            stats_path = args.pop(0)
        elif opt == '--udp-blackout':
            blackout_path = args.pop(0)
        elif opt == '--rate-caps':
            caps_path = args.pop(0)
        else:
            raise SystemExit(f'delay-switch: unknown option {opt}')
    ports = []
    for arg in args:
        name, _, rest = arg.partition('=')
        region, _, rest = rest.partition(':')
        delay, _, host = rest.partition(':')
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.bind((name, ETH_P_ALL))
        s.setblocking(False)
        ports.append((name, s, float(delay or 0) / 1000.0, region, host or name))
    n = len(ports)
    # link[i][j] = (delay s, each crossed link's jitter s, loss probability), fixed once at start;
    # configured[i][j] = the crossed links summed, as the stats report them
    link = [[None] * n for _ in range(n)]
    configured = [[None] * n for _ in range(n)]
    for i, pi in enumerate(ports):
        for j, pj in enumerate(ports):
            uplinks = link_rules.Link(0.0 if pi[3] == pj[3] else (pi[2] + pj[2]) * 1000.0, 0.0, 0.0)
            path = link_rules.crossed(*links, pi[4], pi[3], pj[4], pj[3], uplinks)
            total = configured[i][j] = link_rules.summed(path)
            link[i][j] = (total.delay_ms / 1000.0, tuple(l.jitter_ms / 1000.0 for l in path if l.jitter_ms),
                          total.loss_percent / 100.0)
    last_due = [[0.0] * n for _ in range(n)]
    pair_frames = [[0] * n for _ in range(n)]
    pair_lost = [[0] * n for _ in range(n)]
    pair_delay = [[0.0] * n for _ in range(n)]
    late = [[0.0] * n for _ in range(n)]   # how late the switch itself sent held frames (CPU starvation)
    by_fd = {p[1].fileno(): i for i, p in enumerate(ports)}
    macs = {}          # mac -> port index
    queue = []         # (due, seq, out port index, frame, in port index)
    seq = 0
    stats = [0, 0, 0, 0]  # forwarded, send errors, UDP frames dropped by the blackout, by a rate cap
    blackout = False
    cap = [None] * n         # per destination port: (bit/s, queue bytes) or None
    busy_until = [0.0] * n   # when the capped port's link has sent what it holds
    caps_mtime = None
    rnd = random.Random()
    uniform = rnd.uniform
    chance = rnd.random

    def write_stats():
        if not stats_path:
            return
        out = {'forwarded': stats[0], 'sendErrors': stats[1], 'udpBlackoutDropped': stats[2], 'capDropped': stats[3],
               'caps': {ports[j][4]: {'kbps': cap[j][0] / 1000, 'queueBytes': cap[j][1]} for j in range(n) if cap[j]},
               'pairs': {}}
        for i in range(n):
            for j in range(n):
                if pair_frames[i][j] or pair_lost[i][j]:
                    c = configured[i][j]
                    out['pairs'][f'{ports[i][4]}>{ports[j][4]}'] = {
                        'frames': pair_frames[i][j], 'lost': pair_lost[i][j],
                        'meanDelayMs': round(pair_delay[i][j] / pair_frames[i][j] * 1000, 3) if pair_frames[i][j] else None,
                        'meanLateMs': round(late[i][j] / pair_frames[i][j] * 1000, 3) if pair_frames[i][j] else None,
                        'configured': {'delayMs': c.delay_ms, 'jitterMs': c.jitter_ms, 'lossPercent': c.loss_percent}}
        tmp = stats_path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(out, f)
        os.replace(tmp, stats_path)

    def stop(*_):
        write_stats()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    rules = ' '.join(f'{ports[i][4]}>{ports[j][4]}={configured[i][j].delay_ms:g}+-{configured[i][j].jitter_ms:g}ms/{configured[i][j].loss_percent:g}%'
                     for i in range(n) for j in range(n) if i != j and (link[i][j][1] or link[i][j][2])) if any(links) else ''
    print('delay-switch ready: ' + ' '.join(f'{p[0]}={p[3]}:{p[2] * 1000:g}ms' for p in ports)
          + (f' links: {rules}' if rules else ''), flush=True)
    poll = select.epoll()
    for fd in by_fd:
        poll.register(fd, select.EPOLLIN)
    next_stats = time.monotonic() + 2.0
    next_blackout_check = 0.0
    while True:
        now = time.monotonic()
        if (blackout_path or caps_path) and now >= next_blackout_check:
            if blackout_path:
                blackout = os.path.exists(blackout_path)
            if caps_path:
                try:
                    mtime = os.stat(caps_path).st_mtime_ns
                except FileNotFoundError:
                    mtime = None
                if mtime != caps_mtime:
                    caps_mtime = mtime
                    rules = parse_caps(caps_path)
                    cap = [rules.get(p[4]) for p in ports]
                    print('delay-switch caps: ' + (' '.join(f'{h}={r / 1000:g}kbit/s/{q}B' for h, (r, q) in rules.items()) or 'none'),
                          flush=True)
            next_blackout_check = now + 0.1
        # epoll waits whole milliseconds, rounded up: a frame is sent when it is due within half a
        # millisecond, so the switch is as often early as late by up to 0.5 ms instead of always late.
        while queue and queue[0][0] <= now + HALF_MS:
            due, _, out, frame, src = heapq.heappop(queue)
            late[src][out] += now - due
            try:
                ports[out][1].send(frame)
                stats[0] += 1
            except OSError:
                stats[1] += 1
        if stats_path and now >= next_stats:
            write_stats()
            next_stats = now + 2.0
        timeout = max(0.0, queue[0][0] - now - HALF_MS) if queue else 1.0
        if stats_path:
            timeout = min(timeout, max(0.0, next_stats - now))
        if blackout_path or caps_path:
            timeout = min(timeout, max(0.0, next_blackout_check - now))
        for fd, _ in poll.poll(timeout):
            i = by_fd[fd]
            s = ports[i][1]
            for _ in range(64):
                try:
                    frame, addr = s.recvfrom(65600)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING or len(frame) < VNET_HDR + 14:
                    continue
                if blackout and frame[VNET_HDR + 12:VNET_HDR + 14] == b'\x08\x00' and len(frame) > VNET_HDR + 23 \
                        and frame[VNET_HDR + 23] == 17:
                    stats[2] += 1
                    continue
                dst = frame[VNET_HDR:VNET_HDR + 6]
                src = frame[VNET_HDR + 6:VNET_HDR + 12]
                macs[src] = i
                t = time.monotonic()
                out = macs.get(dst) if not (dst[0] & 1) else None
                targets = [out] if out is not None else [j for j in range(n) if j != i]
                for j in targets:
                    if j == i:
                        continue
                    seq += 1
                    delay, jitters, loss = link[i][j]
                    if loss and chance() < loss:
                        pair_lost[i][j] += 1
                        continue
                    if jitters:
                        for jitter in jitters:
                            delay += uniform(-jitter, jitter)
                        delay = max(0.0, delay)
                    if cap[j]:
                        # the capped downlink: serialised at its rate after the delay, drop-tail queue
                        rate, queue_bytes = cap[j]
                        ready = t + delay
                        start = max(ready, busy_until[j])
                        size = len(frame) - VNET_HDR
                        if (start - ready) * rate / 8 + size > queue_bytes:
                            stats[3] += 1
                            continue
                        busy_until[j] = start + size * 8 / rate
                        delay = busy_until[j] - t
                    pair_frames[i][j] += 1
                    if delay == 0.0 and last_due[i][j] <= t:
                        try:
                            ports[j][1].send(frame)
                            stats[0] += 1
                        except OSError:
                            stats[1] += 1
                        continue
                    due = max(t + delay, last_due[i][j])
                    last_due[i][j] = due
                    pair_delay[i][j] += due - t
                    heapq.heappush(queue, (due, seq, j, frame, i))


if __name__ == '__main__':
    main()
