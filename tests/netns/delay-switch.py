#!/usr/bin/env python3
"""A user-space Ethernet switch that delays frames: the fallback for kernels without sch_netem.

Runs inside the hub namespace. Each port is a hub-side veth given as NAME=REGION:DELAY_MS, DELAY
being the one-way delay of REGION's uplink. A frame between two ports of the same region passes at
once; between regions A and B it is held for delay(A) + delay(B) milliseconds: the same as the
netem topology of netns.sh (a bridge per region, each joined to a core bridge by a netem link). Learning switch (MAC -> port), floods unknown
and broadcast destinations. Offloads pass through untouched with PACKET_VNET_HDR (checksum-partial
and GSO frames keep their virtio-net header), so TCP works without ethtool.

    delay-switch.py hA0=eu:5 hA1=sg:35 hA2=eu:5 ...
"""
import heapq
import os
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4
VNET_HDR = 10


def main():
    ports = []
    for arg in sys.argv[1:]:
        name, _, rest = arg.partition('=')
        region, _, delay = rest.partition(':')
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.bind((name, ETH_P_ALL))
        s.setblocking(False)
        ports.append((name, s, float(delay or 0) / 1000.0, region))
    by_fd = {p[1].fileno(): i for i, p in enumerate(ports)}
    macs = {}          # mac -> port index
    queue = []         # (due, seq, port index, frame)
    seq = 0
    stats = [0, 0]     # forwarded, dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print('delay-switch ready: ' + ' '.join(f'{p[0]}={p[3]}:{p[2] * 1000:g}ms' for p in ports), flush=True)
    poll = select.epoll()
    for fd in by_fd:
        poll.register(fd, select.EPOLLIN)
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                ports[out][1].send(frame)
                stats[0] += 1
            except OSError:
                stats[1] += 1
        timeout = max(0.0, queue[0][0] - now) if queue else 1.0
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
                dst = frame[VNET_HDR:VNET_HDR + 6]
                src = frame[VNET_HDR + 6:VNET_HDR + 12]
                macs[src] = i
                t = time.monotonic()
                out = macs.get(dst) if not (dst[0] & 1) else None
                targets = [out] if out is not None else [j for j in range(len(ports)) if j != i]
                for j in targets:
                    if j == i:
                        continue
                    seq += 1
                    delay = 0.0 if ports[i][3] == ports[j][3] else ports[i][2] + ports[j][2]
                    if delay == 0.0:
                        try:
                            ports[j][1].send(frame)
                            stats[0] += 1
                        except OSError:
                            stats[1] += 1
                        continue
                    heapq.heappush(queue, (t + delay, seq, j, frame))


if __name__ == '__main__':
    main()
