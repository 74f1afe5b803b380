#!/usr/bin/env python3
"""Writes a 480x360 30 fps Y4M clip (2 s, looped by Chromium) for --use-file-for-fake-video-capture:
fresh luma noise every frame over a slowly drifting colour, plus a moving bar. Nothing in it can be
predicted from the previous frame, so a VP8 encoder spends every bit congestion control grants it.
480x360 rather than 640x480: the same bitrate ceiling in Chromium (1.7 Mbit/s for up to 640x480)
for about half the encoding and decoding work on a small machine.
    noise-y4m.py OUT.y4m [FRAMES]
"""
import os
import sys

W, H = 480, 360
out, frames = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60
narrow = bytes(72 + (b * 112) // 255 for b in range(256))   # luma 72..184
with open(out, 'wb') as f:
    f.write(b'YUV4MPEG2 W480 H360 F30:1 Ip A1:1 C420jpeg\n')
    for i in range(frames):
        y = bytearray(os.urandom(W * H).translate(narrow))
        x0 = (i * 11) % W
        for row in range(0, H, 1):
            y[row * W + x0: row * W + min(W, x0 + 24)] = b'\xeb' * (min(W, x0 + 24) - x0)
        u = bytes([96 + (i * 2) % 64]) * (W * H // 4)
        v = bytes([160 - (i * 2) % 64]) * (W * H // 4)
        f.write(b'FRAME\n' + bytes(y) + u + v)
