#!/usr/bin/env bash
# Runs the SFU browser test inside a private network namespace:
#   unshare -n bash tests/browser/run-sfu-e2e.sh CLASSPATH MEDIA_JS [PAGES] [SECONDS]
# Inside: lo up (HTTP signalling on localhost = a secure context for getUserMedia) and a veth
# interface v0 with 10.200.0.1/24 that carries the media (WebRTC skips loopback-only hosts, and
# Java/Chromium treat all of 127/8 as loopback). Prints the JSON verdict of sfu-e2e.mjs on stdout.
set -euo pipefail
CP="$1"; MEDIA_JS="$2"; PAGES="${3:-3}"; SECONDS_="${4:-10}"
HERE="$(cd "$(dirname "$0")" && pwd)"
LOGDIR="${VISAGE_E2E_LOGDIR:-$(mktemp -d)}"
ip link set lo up
# a veth pair (the dummy driver is not always available); v0 carries the media address
ip link add v0 type veth peer name v1
ip addr add 10.200.0.1/24 dev v0
ip link set v0 up
ip link set v1 up
# optional impairment of everything on the host path, e.g. VISAGE_E2E_NETEM="loss 2%" or "delay 40ms 10ms"
if [ -n "${VISAGE_E2E_NETEM:-}" ]; then
  tc qdisc add dev lo root netem ${VISAGE_E2E_NETEM}
fi
HTTP_PORT=8089
rm -f "$LOGDIR/harness.log" "$LOGDIR/node.log"   # a stale "HARNESS READY" must not count
java ${VISAGE_E2E_JAVA_OPTS:-} -cp "$CP" dev.visage.sfu.harness.HarnessServer "$HTTP_PORT" 10.200.0.1 10000 "$MEDIA_JS" \
  > "$LOGDIR/harness.log" 2>&1 &
HPID=$!
trap 'kill $HPID 2>/dev/null || true; wait $HPID 2>/dev/null || true' EXIT
for i in $(seq 1 300); do
  grep -q "HARNESS READY" "$LOGDIR/harness.log" 2>/dev/null && break
  kill -0 $HPID 2>/dev/null || { echo '{"ok":false,"error":"harness died"}'; cat "$LOGDIR/harness.log" >&2; exit 0; }
  sleep 0.2
done
grep -q "HARNESS READY" "$LOGDIR/harness.log" || { echo '{"ok":false,"error":"harness not ready after 60 s"}'; exit 0; }
cd "$HERE"
node sfu-e2e.mjs "http://localhost:$HTTP_PORT" "$PAGES" "$SECONDS_" 2> "$LOGDIR/node.log"
echo "logs: $LOGDIR" >&2
