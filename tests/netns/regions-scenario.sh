#!/usr/bin/env bash
# Regions scenario: two Visage nodes in two "regions" (eu, sg) plus Chromium pages in client
# namespaces of each region, over tests/netns/netns.sh. Prints ONE line of JSON on stdout (the
# verdict of regions-scenario.mjs plus set-up figures); everything else goes to stderr and LOGDIR.
#
#   tests/netns/regions-scenario.sh [LOGDIR]
# VISAGE_REGIONS_REPEAT=N (./visage bench join): after the selection, N timed rounds of kill -9 of
# node-sg and failover to node-eu (node-sg restarted between rounds) instead of the test's steps.
# Needs root, ip, chromium, node with playwright-core (tests/netns/node_modules, or
# tests/browser/node_modules), and sch_netem or python3 for the delays (see netns.sh).
#
# Layout (10.210.0.0/24, one-way uplink delays eu=5 ms, sg=35 ms: eu<->eu ~0, eu<->sg 40 ms):
#   core 10.210.0.2  (eu)  the shared embedded store and the test driver (node + playwright)
#   eu   10.210.0.11 (eu)  node-eu        sg   10.210.0.12 (sg)  node-sg
#   ceu  10.210.0.101 (eu) Chromium       csg  10.210.0.102 (sg) Chromium
# Teardown (EXIT trap, also on failure or signal): every process in the run's namespaces is
# killed, then the namespaces are deleted.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
LOGDIR="${1:-$(mktemp -d /tmp/visage-regions-XXXXXX)}"
mkdir -p "$LOGDIR"
# VISAGE_REGIONS_RUN lets a caller name the run, so it can `netns.sh down` it itself if needed
RUN="${VISAGE_REGIONS_RUN:-r$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5)}"
DELAYS="${VISAGE_REGION_DELAYS:-eu=5,sg=35}"
PORT=8080
source "$ROOT/tests/netns/scenario-lib.sh"
say() { printf '[regions] %s\n' "$*" >&2; }
fail() { printf '{"ok":false,"error":%s,"logdir":"%s"}\n' "$(printf '%s' "$*" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))' 2>/dev/null || echo "\"$*\"")" "$LOGDIR"; exit 0; }

cleanup() { "$HERE/netns.sh" down "$RUN" 2>>"$LOGDIR/netns.log" || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s%3N)
"$HERE/netns.sh" up "$RUN" "$DELAYS" \
  core:10.210.0.2:eu eu:10.210.0.11:eu sg:10.210.0.12:sg ceu:10.210.0.101:eu csg:10.210.0.102:sg 2>>"$LOGDIR/netns.log" \
  || fail "netns set-up failed: $(tail -n 5 "$LOGDIR/netns.log")"
MODE="$("$HERE/netns.sh" mode "$RUN")"
say "namespaces up ($MODE) run $RUN, logs $LOGDIR"

start_store core 10.210.0.2
MEMBERS=10.210.0.11,10.210.0.12
EXTRA_JAVA_OPTS="-XX:TieredStopAtLevel=1"
start_node eu 10.210.0.11 eu
start_node sg 10.210.0.12 sg
await_cluster core 2 "${VISAGE_REGIONS_START_TIMEOUT:-200}" 10.210.0.11 10.210.0.12
T1=$(date +%s%3N)
say "both nodes up and clustered in $((T1 - T0)) ms"

chromium_wrappers ceu csg
restart_node_script

NODE_MODULES="${VISAGE_NODE_MODULES:-}"
if [[ -z "$NODE_MODULES" ]]; then
  if [[ -d "$HERE/node_modules/playwright-core" ]]; then NODE_MODULES="$HERE/node_modules"
  else NODE_MODULES="$ROOT/tests/browser/node_modules"; fi
fi
CONFIG=$(cat <<JSON
{"run":"$RUN","mode":"$MODE","delays":"$DELAYS","logdir":"$LOGDIR","startupMs":$((T1 - T0)),"netns":"$HERE/netns.sh",
 "repeat":${VISAGE_REGIONS_REPEAT:-0},"restartNode":"$LOGDIR/restart-node.sh",
 "nodes":{"eu":{"id":"node-eu","ip":"10.210.0.11","url":"http://10.210.0.11:$PORT","pidFile":"$LOGDIR/eu/node.pid"},
          "sg":{"id":"node-sg","ip":"10.210.0.12","url":"http://10.210.0.12:$PORT","pidFile":"$LOGDIR/sg/node.pid"}},
 "clients":{"ceu":"$LOGDIR/chromium-ceu","csg":"$LOGDIR/chromium-csg"}}
JSON
)
say "running the browser scenarios"
in_core env NODE_PATH="$NODE_MODULES" VISAGE_SCENARIO="$CONFIG" node "$HERE/regions-scenario.mjs" 2> "$LOGDIR/driver.log" \
  | tail -n 1 || fail "driver failed; see $LOGDIR/driver.log"
