#!/usr/bin/env bash
# Visage vs Janus VideoRoom benchmark (see README "Benchmark"). Usually run as `./visage bench`.
#   bench/run.sh [--subscribers 100,200,400,500] [--seconds 20] [--warmup 5] [--first-warmup 120] [--settle 60] [--servers visage,janus]
#                [--subscriber light|werift] [--sample 16] [--max-loss 0.1] [--max-cpu 95] [--profile 20] [--simulcast 200] [--workers 2]
#     levels up to the server's saturation; light subscribers by default (bench.mjs, worker.mjs)
#   bench/run.sh join [--joiners 50] [--concurrency 5] [--warmup-joiners 10] [--servers visage,janus] [--rounds 10]
#     join.mjs (werift joiners, Visage vs Janus), then browser-join.mjs (the web client's late join and Leave, --rounds times)
#   bench/run.sh bwe [--rounds 3] [--far]
#     browser-bwe.mjs: a page's downlink capped at 300 kbit/s and lifted, through the web client (no Janus)
#   bench/run.sh soak [minutes] [--peers 4] [--fps 15]
#     soak.mjs: one Visage node and werift peers in cycles (no Janus, no clip)
# Installs what is missing (npm werift/ws in bench/, Debian janus + ffmpeg), builds Visage if
# needed, makes a VP8 clip offline, then re-runs itself inside a new network namespace
# (unshare -n): lo up plus a veth pair bv0/bv1 with 10.203.0.1/24 on bv0. All signalling and media
# stay on that address inside the namespace; nothing reaches the machine's real interfaces.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
IP=10.203.0.1
say() { printf '[bench] %s\n' "$*" >&2; }

if [[ "${BENCH_IN_NETNS:-}" != 1 ]]; then
  [[ $(id -u) == 0 ]] || { say "needs root (network namespace, veth)"; exit 1; }
  if [[ "${1:-}" == bwe ]]; then
    shift
    [[ -f "$ROOT/modules/visage-web/target/visage-web.war" ]] || { say "building Visage ..."; "$ROOT/visage" build; }
    if [[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]]; then
      (cd "$ROOT/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
    fi
    exec node "$HERE/browser-bwe.mjs" "$@"
  fi
  if [[ ! -d "$HERE/node_modules/werift" || ! -d "$HERE/node_modules/ws" ]]; then
    say "npm install (werift, ws) in bench/ ..."
    (cd "$HERE" && npm install --no-audit --no-fund --silent)
  fi
  if [[ "${1:-}" != soak ]] && { ! command -v janus >/dev/null || ! command -v ffmpeg >/dev/null; }; then
    say "apt-get install janus ffmpeg ..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q janus ffmpeg >/dev/null
  fi
  # the apt package may start a system Janus; the benchmark runs its own with its own config
  mkdir -p "$HERE/media"
  # 360p: the publisher's clip; 180p and 720p with it: the simulcast publisher's layers (same
  # frames, key frames at the same places)
  for clip in "360p 640x360 800k" "180p 320x180 150k" "720p 1280x720 1500k"; do
    read -r name size rate <<<"$clip"
    if [[ "${1:-}" != soak && ! -s "$HERE/media/vp8-$name.ivf" ]]; then
      say "encoding a 10 s VP8 clip ($size, 30 fps, ~${rate}bit/s, key frame every 3 s) with ffmpeg ..."
      ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=$size:rate=30" -t 10 \
        -c:v libvpx -b:v "$rate" -minrate "$rate" -maxrate "$rate" -g 90 -deadline realtime -cpu-used 8 \
        -f ivf "$HERE/media/vp8-$name.ivf"
    fi
  done
  if [[ ! -f "$ROOT/modules/visage-web/target/visage-web.war" || ! -f "$ROOT/modules/visage-web/target/payara-micro.jar" ]]; then
    say "building Visage ..."
    "$ROOT/visage" build
  fi
  export BENCH_IN_NETNS=1
  if [[ "${1:-}" != join && "${1:-}" != soak ]]; then
    say "measuring the forwarding floor (one SRTP protect + one UDP send per packet, ForwardingFloor) ..."
    (cd "$ROOT" && mvn -B -q -pl plugins/visage-sfu test-compile org.codehaus.mojo:exec-maven-plugin:3.6.2:java \
      -Dexec.mainClass=dev.visage.sfu.bench.ForwardingFloor -Dexec.classpathScope=test \
      -Dexec.args="200000 $HERE/results/floor-latest.json" 2>&1 | grep --line-buffered '^\[floor\]' >&2) \
      || say "floor not measured (the table goes without it)"
  fi
  if [[ "${1:-}" == join ]]; then
    # werift joiners inside a namespace of their own, then the web client's rounds, which make
    # their own namespaces (tests/media/room-scenario.sh)
    rounds=10
    for ((i = 1; i < $#; i++)); do [[ "${!i}" == --rounds ]] && { j=$((i + 1)); rounds="${!j}"; }; done
    unshare -n bash "${BASH_SOURCE[0]}" "$@"
    [[ "$rounds" == 0 ]] && exit 0
    if [[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]]; then
      (cd "$ROOT/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
    fi
    exec node "$HERE/browser-join.mjs" --rounds "$rounds"
  fi
  exec unshare -n bash "${BASH_SOURCE[0]}" "$@"
fi

# ---- inside the namespace
ip link set lo up
ip link add bv0 type veth peer name bv1
ip addr add "$IP/24" dev bv0
ip link set bv0 up
ip link set bv1 up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
export BENCH_CALLER_DIR="$PWD" # relative paths in the options are the caller's
cd "$HERE"
if [[ "${1:-}" == join ]]; then
  shift
  exec node join.mjs --ip "$IP" --iface bv0 "$@"
fi
if [[ "${1:-}" == soak ]]; then
  shift
  exec node soak.mjs --ip "$IP" "$@"
fi
exec node bench.mjs --ip "$IP" --iface bv0 "$@"
