#!/usr/bin/env python3
"""Writes a 640x480 30 fps Y4M clip (2 s, looped by Chromium) for --use-file-for-fake-video-capture:
a drifting gradient (cheap to code) with a 160x120 patch of fresh noise wandering over it (which no
encoder can predict) and a moving bar. The patch alone asks for more than the 1.7 Mbit/s Chromium
allows a 640x480 VP8 stream, so the bitrate the call reaches is set by congestion control (the
path), not by the picture; the rest of the frame stays easy, so the encoder's QP-based scaler keeps
the resolution as it would for a real camera. (A frame of pure noise makes it drop to 320x240 and
its 0.6 Mbit/s ceiling whatever the path.)
    noise-y4m.py OUT.y4m [FRAMES]
"""
import os
import sys

W, H, PW, PH = 640, 480, 160, 120
out, frames = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60
narrow = bytes(40 + (b * 176) // 255 for b in range(256))   # luma 40..216
with open(out, 'wb') as f:
    f.write(b'YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n')
    for i in range(frames):
        row = bytes((64 + (x + i * 4) // 5) % 200 + 16 for x in range(W))
        y = bytearray(row * H)
        px = (i * 37) % (W - PW)
        py = (i * 23) % (H - PH)
        noise = os.urandom(PW * PH).translate(narrow)
        for r in range(PH):
            o = (py + r) * W + px
            y[o:o + PW] = noise[r * PW:(r + 1) * PW]
        bx = (i * 11) % (W - 24)
        for r in range(H):
            y[r * W + bx:r * W + bx + 24] = b'\xeb' * 24
        u = bytes([110 + (i % 30)]) * (W * H // 4)
        v = bytes([150 - (i % 30)]) * (W * H // 4)
        f.write(b'FRAME\n' + bytes(y) + u + v)
