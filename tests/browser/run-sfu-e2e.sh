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
if [ "${VISAGE_E2E_SCENARIO:-}" = loss ]; then
  # Loss scenario (issue 3, acceptance 3). This kernel has no sch_netem, so the loss is imposed by
  # tests/netns/delay-switch.py, a user-space Ethernet switch, between two child namespaces:
  #   browsers (10.200.0.2, eth0) <-> [sw-b  delay-switch  sw-s] <-> SFU harness (10.200.0.1, eth0)
  # with one link rule `browsers <> sfu 0 0 LOSS`: every frame, both directions, RTP/RTCP/STUN and
  # the signalling TCP alike, is dropped with probability LOSS % (default 5), as netem would.
  # Args: CP MEDIA_JS PAGES SLICES:SLICE_SECONDS.
  LOSS="${VISAGE_E2E_LOSS:-5}"
  SL="${SECONDS_%%:*}"; SLS="${SECONDS_#*:}"; [ "$SLS" = "$SECONDS_" ] && SLS=5
  NS_S="vse$$s"; NS_B="vse$$b"
  SWPID=""; HPID=""
  cleanup() {
    [ -n "$HPID" ] && { kill $HPID 2>/dev/null || true; wait $HPID 2>/dev/null || true; }
    [ -n "$SWPID" ] && { kill -TERM $SWPID 2>/dev/null || true; wait $SWPID 2>/dev/null || true; }
    ip netns del "$NS_S" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
  }
  trap cleanup EXIT
  for ns in "$NS_S" "$NS_B"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
  done
  ip link add sw-s type veth peer name eth0 netns "$NS_S"
  ip link add sw-b type veth peer name eth0 netns "$NS_B"
  ip -n "$NS_S" addr add 10.200.0.1/24 dev eth0
  ip -n "$NS_B" addr add 10.200.0.2/24 dev eth0
  ip -n "$NS_S" link set eth0 up
  ip -n "$NS_B" link set eth0 up
  ip link set sw-s up
  ip link set sw-b up
  # VISAGE_E2E_LINKS replaces the rule (delay-switch.py syntax), e.g. "sfu > browsers 0 0 5" for one way
  echo "${VISAGE_E2E_LINKS:-browsers <> sfu 0 0 $LOSS}" > "$LOGDIR/loss-links.txt"
  rm -f "$LOGDIR/switch-stats.json" "$LOGDIR/loss-harness.log" "$LOGDIR/switch.log"
  python3 "$HERE/../netns/delay-switch.py" --links "$LOGDIR/loss-links.txt" --stats "$LOGDIR/switch-stats.json" \
    sw-s=lan:0:sfu sw-b=lan:0:browsers > "$LOGDIR/switch.log" 2>&1 &
  SWPID=$!
  for i in $(seq 1 50); do grep -q "delay-switch ready" "$LOGDIR/switch.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "delay-switch ready" "$LOGDIR/switch.log" || { echo '{"ok":false,"error":"delay switch not ready"}'; cat "$LOGDIR/switch.log" >&2; exit 0; }
  ip netns exec "$NS_S" java ${VISAGE_E2E_JAVA_OPTS:-} -Dvisage.harness.http-address=10.200.0.1 -cp "$CP" \
    dev.visage.sfu.harness.HarnessServer 8089 10.200.0.1 10000 "$MEDIA_JS" > "$LOGDIR/loss-harness.log" 2>&1 &
  HPID=$!
  for i in $(seq 1 300); do
    grep -q "HARNESS READY" "$LOGDIR/loss-harness.log" 2>/dev/null && break
    kill -0 $HPID 2>/dev/null || { echo '{"ok":false,"error":"harness died"}'; cat "$LOGDIR/loss-harness.log" >&2; exit 0; }
    sleep 0.2
  done
  grep -q "HARNESS READY" "$LOGDIR/loss-harness.log" || { echo '{"ok":false,"error":"harness not ready after 60 s"}'; exit 0; }
  cd "$HERE"
  # the pages load http://localhost:8089 (secure context) served by a relay inside the browsers' namespace
  ip netns exec "$NS_B" node sfu-loss-e2e.mjs "http://localhost:8089" "$PAGES" "$SL" "$SLS" 10.200.0.1:8089 2> "$LOGDIR/loss-node.log"
  echo "logs: $LOGDIR" >&2
  exit 0
fi
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
