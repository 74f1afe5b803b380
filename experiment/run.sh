#!/usr/bin/env bash
# The relay experiment (issues 4, 12): the same call (two people, or two per region) over three paths, measured by the
# receiving browsers (getStats) and by the nodes (/metrics, /api/rooms/{id}/stats).
#   1  peer EU <-WebRTC-> node-sg <-relay-> node-hcm <-WebRTC-> peer VN
#   2  peer EU <-WebRTC-> node-hcm <-WebRTC-> peer VN             (EU takes the direct EU<->VN path)
#   3  peer EU <-WebRTC-> node-sg  <-WebRTC-> peer VN
#
#   experiment/run.sh [--minutes N | --seconds 180] [--warmup 10] [--scenarios 2,3,1] [--people 1|2]
#                     [--trace-seconds 60] [--video noise|pattern] [--out DIR]
#
# --minutes / --seconds is the measuring window of EACH scenario (after the pages decode video and
# --warmup seconds of bitrate ramp-up). --people 2: two pages per region (eu, eu2 on the EU side,
# vn, vn2 on the VN side), every page publishing; the same three placements of the nodes.
# --trace-seconds: how much of each window the hub's packet trace covers (tests/netns/frame-trace.py;
# 0 = none): the one-way delay of each video packet from the publishing to the subscribing browser,
# split into switch hops and time inside each node. --video: the camera the pages publish: `noise` (default) a 640x480
# 30 fps clip with a wandering patch of fresh noise, made at start (experiment/noise-y4m.py), so
# the encoder always has more to send than Chromium's 1.7 Mbit/s ceiling and the bitrate is set by
# congestion control, not by the picture; `pattern` Chromium's own fake camera (a mostly static
# frame, ~0.5 Mbit/s whatever the path). VISAGE_EXPERIMENT_DEGRADATION=maintain-resolution|...
# sets the video senders' degradationPreference (default: the browser's own, as for real users).
# Writes experiment/results/<UTC timestamp>/{results.md,results.png,results.json,raw/...}. Needs root, ip, python3 (delay switch), Debian chromium, node with
# playwright-core (tests/browser/node_modules), a built WAR (./visage build).
#
# Network: namespaces on 10.212.0.0/24 behind tests/netns/netns.sh with the per-pair link rules
# of experiment/links.conf (delay, jitter, loss per direction, played by tests/netns/delay-switch.py):
#   core 10.212.0.2  (lab) store + driver    sg  10.212.0.11 (sg) node-sg    hcm 10.212.0.12 (vn) node-hcm
#   ceu  10.212.0.101 (eu) Chromium, EU peer  cvn 10.212.0.102 (vn) Chromium, VN peer
#   ceu2 10.212.0.103 (eu), cvn2 10.212.0.104 (vn): the second pages of --people 2
# Teardown on exit, failure or Ctrl-C: every process in the run's namespaces, then the namespaces.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
NETNS="$ROOT/tests/netns/netns.sh"
SECONDS_PER=180 WARMUP=10 SCENARIOS=2,3,1 OUT="" VIDEO=noise TRACE_SECONDS=60 PEOPLE=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) [[ "$2" =~ ^[0-9]+$ ]] || { echo "--minutes must be an integer" >&2; exit 2; }; SECONDS_PER=$(( $2 * 60 )); shift 2 ;;
    --seconds) SECONDS_PER="$2"; shift 2 ;;
    --trace-seconds) TRACE_SECONDS="$2"; shift 2 ;;
    --people) PEOPLE="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --video) VIDEO="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$SECONDS_PER" =~ ^[0-9]+$ && "$SECONDS_PER" -ge 5 ]] || { echo "--seconds must be an integer >= 5" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "--warmup must be an integer" >&2; exit 2; }
[[ "$TRACE_SECONDS" =~ ^[0-9]+$ ]] || { echo "--trace-seconds must be an integer" >&2; exit 2; }
[[ "$PEOPLE" == 1 || "$PEOPLE" == 2 ]] || { echo "--people 1|2 (per region)" >&2; exit 2; }
[[ "$VIDEO" == noise || "$VIDEO" == pattern ]] || { echo "--video noise|pattern" >&2; exit 2; }
[[ "$SCENARIOS" =~ ^[123](,[123])*$ ]] || { echo "--scenarios: a list of 1, 2, 3" >&2; exit 2; }

say() { printf '[experiment] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
[[ "$(id -u)" == 0 ]] || die "needs root (network namespaces)"
command -v ip >/dev/null || die "ip (iproute2) missing"
command -v python3 >/dev/null || die "python3 missing (delay switch)"
command -v node >/dev/null || die "node missing"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || die "chromium missing at $CHROMIUM"
NODE_MODULES="${VISAGE_NODE_MODULES:-$ROOT/tests/browser/node_modules}"
[[ -d "$NODE_MODULES/playwright-core" ]] || die "playwright-core missing: npm install in tests/browser"
WAR="$ROOT/modules/visage-web/target/visage-web.war"
MICRO="$ROOT/modules/visage-web/target/payara-micro.jar"
MONGO_JAR="$ROOT/plugins/visage-users-mongo/target/visage-users-mongo-0.1.0-SNAPSHOT.jar"
MONGO_LIB="$ROOT/plugins/visage-users-mongo/target/lib"
for f in "$WAR" "$MICRO" "$MONGO_JAR"; do [[ -f "$f" ]] || die "$f missing: run ./visage build first"; done

STAMP="$(date -u +%Y%m%d-%H%M%S)"
OUT="${OUT:-$HERE/results/$STAMP}"
mkdir -p "$OUT/raw" "$OUT/logs"
OUT="$(cd "$OUT" && pwd)"
LOGS="$OUT/logs"
RUN="x$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5)"
PORT=8080
say "run $RUN, results in $OUT; scenarios $SCENARIOS, ${SECONDS_PER}s each after ${WARMUP}s warm-up"

# The WAR is copied so a rebuild by someone else during the run cannot change what the nodes run.
cp "$WAR" "$LOGS/visage-web.war"
{ echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "war $(date -u -r "$WAR" +%Y-%m-%dT%H:%M:%SZ) (visage-sfu in it: $(unzip -l "$WAR" 2>/dev/null | awk '/visage-sfu/ {print $2, $3}'))"
  echo "uncommitted changes in the tree at start: $(git -C "$ROOT" status --short -- modules plugins 2>/dev/null | grep -v '^??' | wc -l) files"
  echo "host $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), chromium $("$CHROMIUM" --version 2>/dev/null | head -1)"
} > "$OUT/build.txt"
cp "$HERE/links.conf" "$OUT/links.conf"
VIDEO_FILE="" DEGRADATION="${VISAGE_EXPERIMENT_DEGRADATION:-}"
if [[ "$VIDEO" == noise ]]; then
  VIDEO_FILE="$LOGS/noise.y4m"
  python3 "$HERE/noise-y4m.py" "$VIDEO_FILE" || die "could not write $VIDEO_FILE"
fi

cleanup() {
  local rc=$?
  "$NETNS" down "$RUN" 2>>"$LOGS/netns.log" || true
  rm -f "$LOGS/visage-web.war" "$LOGS/noise.y4m"
  rm -rf "$LOGS"/sg/payara "$LOGS"/hcm/payara   # Payara's unpacked root dirs (~150 MB each); node.log stays
  gzip -qf "$OUT"/raw/*.jsonl 2>/dev/null || true
  [[ $rc == 0 ]] || say "failed (exit $rc); logs in $LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s)
"$NETNS" up "$RUN" --links "$HERE/links.conf" lab=0 \
  core:10.212.0.2:lab sg:10.212.0.11:sg hcm:10.212.0.12:vn ceu:10.212.0.101:eu cvn:10.212.0.102:vn \
  $( [[ $PEOPLE == 2 ]] && echo ceu2:10.212.0.103:eu cvn2:10.212.0.104:vn ) 2>>"$LOGS/netns.log" \
  || die "netns set-up failed: $(tail -n 5 "$LOGS/netns.log")"
STATE="${TMPDIR:-/tmp}/visage-netns-$RUN"
# The switch is the network: on a busy host it must not wait for the CPU behind the browsers and
# nodes (at an ordinary priority it sent frames ~1 ms late on average and stalled 8-20 ms at
# times, more on the relay path's extra hop). A real-time priority (it sleeps between frames and
# needs a few % of a core); nice -5 where that is refused.
chrt -f -p 20 "$(cat "$STATE/switch.pid")" >/dev/null 2>&1 || renice -n -5 -p "$(cat "$STATE/switch.pid")" >/dev/null 2>&1 || true
say "namespaces up: $(grep -o 'links:.*' "$STATE/switch.log" || true)"

mkdir -p "$LOGS/store"
"$NETNS" exec "$RUN" core java -Xmx256m -cp "$MONGO_JAR:$MONGO_LIB/*" dev.visage.users.mongo.EmbeddedMongoServer \
  --host 10.212.0.2 --port 27017 --file "$LOGS/store/visage.mv" > "$LOGS/store.log" 2>&1 &
for _ in $(seq 1 100); do grep -q "listening on" "$LOGS/store.log" 2>/dev/null && break; sleep 0.2; done
grep -q "listening on" "$LOGS/store.log" || die "store did not start: $(tail -n 5 "$LOGS/store.log")"

# Like `./visage run`, but on the copied WAR; both nodes share one cluster secret.
(umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$LOGS/cluster.secret")
# The nodes run at nice -10 (every JVM thread inherits it): in a real deployment a node has its
# machine to itself; here it shares two cores with the Chromiums, whose encoders would otherwise
# delay its packets by tens of ms at times (and the relay path crosses two nodes). Chromium,
# started as root, raises its own critical threads to nice -8, so -5 was not enough with four pages.
NODE_NICE="${VISAGE_EXPERIMENT_NODE_NICE:--10}"
start_node() { # name ip region
  local name="$1" ip="$2" region="$3" data="$LOGS/$1"
  mkdir -p "$data/payara"
  sed -e "s#<member>127.0.0.1</member>#<member>10.212.0.11</member><member>10.212.0.12</member>#" \
      -e "s#<interface>127.0.0.1</interface>#<interface>$ip</interface>#" \
      -e "s#<cluster-name>visage</cluster-name>#<cluster-name>vis-$RUN</cluster-name>#" \
      "$ROOT/hazelcast.xml" > "$data/hazelcast.xml"
  # shellcheck disable=SC2086
  "$NETNS" exec "$RUN" "$name" nice -n "$NODE_NICE" env VISAGE_MEDIA_ADDRESSES="$ip" VISAGE_MONGO_URI="mongodb://10.212.0.2:27017" \
    VISAGE_CLUSTER_SECRET_FILE="$LOGS/cluster.secret" \
    java ${VISAGE_EXPERIMENT_JAVA_OPTS:--Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} -Xlog:gc:file="$data/gc.log":time,uptime \
    -Dvisage.node.id="node-$name" -Dvisage.region="$region" -Dvisage.http.port="$PORT" \
    -Dvisage.data.dir="$data" -Dvisage.media.port=10000 -Dvisage.public.url="http://$ip:$PORT" \
    -Dhazelcast.phone.home.enabled=false \
    -jar "$MICRO" --deploy "$LOGS/visage-web.war" --contextroot / --port "$PORT" \
    --hzconfigfile "$data/hazelcast.xml" --interfaces "$ip" --disablephonehome --rootdir "$data/payara" \
    --name "node-$name" --postbootcommandfile "$ROOT/payara-config/post-boot.asadmin" > "$data/node.log" 2>&1 &
}
start_node sg 10.212.0.11 sg
start_node hcm 10.212.0.12 vn
deadline=$((SECONDS + ${VISAGE_EXPERIMENT_START_TIMEOUT:-300}))
for ip in 10.212.0.11 10.212.0.12; do
  until "$NETNS" exec "$RUN" core curl -fsS -m 3 "http://$ip:$PORT/health" 2>/dev/null | grep -q '"clusterSize":2'; do
    (( SECONDS < deadline )) || die "node $ip not healthy in a 2-node cluster; see $LOGS/*/node.log"
    printf '\r[experiment] starting node-sg and node-hcm ... %ss' "$(( $(date +%s) - T0 ))" >&2
    sleep 2
  done
done
printf '\n' >&2
say "both nodes up and clustered in $(( $(date +%s) - T0 )) s"
# Once started, every thread of both nodes runs SCHED_RR 10 (below the switch's 20, above every
# browser): the closest this shared machine gets to a node with a CPU of its own. With four pages
# at load 16-28, nice -5 or -10 still left packets waiting p95 70-280 ms in a node; SCHED_RR: p99
# 0.4 ms. Not during start-up (Payara's deployment would starve everything else for half a
# minute). VISAGE_EXPERIMENT_NODE_RT=0: nice only.
if [[ "${VISAGE_EXPERIMENT_NODE_RT:-1}" == 1 ]]; then
  for pid in $(pgrep -f "visage.node.id=node-(sg|hcm)"); do
    grep -qa "$LOGS/" "/proc/$pid/cmdline" 2>/dev/null || continue   # this run's nodes only
    for t in /proc/"$pid"/task/*; do chrt -r -p 10 "${t##*/}" >/dev/null 2>&1 || true; done
    say "node pid $pid: threads at SCHED_RR 10"
  done
fi

CLIENTS="ceu cvn"; [[ $PEOPLE == 2 ]] && CLIENTS+=" ceu2 cvn2"
CLIENTS_JSON=""
for c in $CLIENTS; do
  CLIENTS_JSON+="${CLIENTS_JSON:+,}\"$c\":\"$LOGS/chromium-$c\""
  printf '#!/bin/sh\nexec ip netns exec vis-%s-%s %s "$@"\n' "$RUN" "$c" "$CHROMIUM" > "$LOGS/chromium-$c"
  chmod +x "$LOGS/chromium-$c"
done
# The packet trace at the hub (tests/netns/frame-trace.py): `trace OUT SECONDS` captures every
# hub port, both directions, with kernel timestamps.
TRACE_PORTS="$(awk -v run="$RUN" '{ printf " h%sn%d=%s:%s", run, NR - 1, $1, $3 }' "$STATE/hosts")"
printf '#!/bin/sh\nexec ip netns exec vis-%s-hub python3 %s capture "$1" "$2"%s\n' "$RUN" "$ROOT/tests/netns/frame-trace.py" "$TRACE_PORTS" > "$LOGS/trace"
chmod +x "$LOGS/trace"
CONFIG=$(cat <<JSON
{"run":"$RUN","out":"$OUT","seconds":$SECONDS_PER,"warmup":$WARMUP,"scenarios":[$SCENARIOS],
 "switchStats":"$STATE/switch-stats.json","startedAt":"$STAMP","video":"$VIDEO","videoFile":"$VIDEO_FILE","degradation":"$DEGRADATION",
 "nodes":{"sg":{"id":"node-sg","url":"http://10.212.0.11:$PORT"},"hcm":{"id":"node-hcm","url":"http://10.212.0.12:$PORT"}},
 "clients":{$CLIENTS_JSON},"people":$PEOPLE,
 "trace":"$LOGS/trace","traceSeconds":$TRACE_SECONDS,"traceTool":"$ROOT/tests/netns/frame-trace.py","linksFile":"$OUT/links.conf"}
JSON
)
# In the background + wait, so that Ctrl-C reaches the trap (and the teardown) at once.
"$NETNS" exec "$RUN" core env NODE_PATH="$NODE_MODULES" VISAGE_EXPERIMENT="$CONFIG" \
  node "$HERE/experiment.mjs" 2> >(tee "$LOGS/driver.log" | grep --line-buffered -v '^\[page' >&2) &
wait $! || die "driver failed; see $LOGS/driver.log"
"$NETNS" down "$RUN" 2>>"$LOGS/netns.log" || true
say "rendering results.md and results.png"
NODE_PATH="$NODE_MODULES" CHROMIUM="$CHROMIUM" node "$HERE/render.mjs" "$OUT" || die "rendering failed"
say "done: $OUT/results.md"
