#!/usr/bin/env bash
# Room media scenario (issue 3, acceptance 1, through the real web client): ONE Visage node in
# its own network namespace, the shared embedded store and the driver in "core", three Chromium
# pages (fake camera + microphone) in a client namespace, all in one room. Prints ONE line of
# JSON on stdout (the verdict of room-scenario.mjs); progress goes to stderr, logs to LOGDIR.
#
#   tests/media/room-scenario.sh [LOGDIR]
# VISAGE_ROOM_REPEAT=N (./visage bench join): instead of the test's steps, N rounds of a late page
# joining and leaving, timed. VISAGE_ROOM_BWE_ROUNDS=N (./visage bench bwe): instead, N rounds of
# carol's downlink capped at 300 kbit/s and lifted, timed.
# Needs root, ip, chromium, node with playwright-core (tests/browser/node_modules). Uses
# tests/netns/netns.sh (one region, no delays: VISAGE_NETNS_DELAY=none unless set).
#
#   core 10.212.0.2    the shared embedded store and the test driver (node + playwright)
#   n1   10.212.0.11   the Visage node (`./visage run`): HTTP 8080, media UDP 10000
#   c1   10.212.0.101  Chromium: alice, bob, carol
#   c2   10.212.0.102  Chromium: the late dave (carol in the bandwidth benchmark), whose downlink
#                      the bandwidth step caps (netns.sh rate-cap)
# Firefox (erin) runs beside the driver in core: puppeteer drives it over a WebDriver BiDi socket
# on Firefox's loopback, which a page in another namespace could not reach.
# Teardown (EXIT trap, also on failure or signal): netns.sh down kills every process inside the
# run's namespaces (only ours) and deletes them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
LOGDIR="${1:-$(mktemp -d /tmp/visage-room-XXXXXX)}"
mkdir -p "$LOGDIR"
RUN="${VISAGE_ROOM_RUN:-m$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5)}"
PORT=8080
NODE_IP=10.212.0.11
source "$ROOT/tests/netns/scenario-lib.sh"
say() { printf '[room] %s\n' "$*" >&2; }
fail() { printf '{"ok":false,"error":%s,"logdir":"%s"}\n' "$(printf '%s' "$*" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))' 2>/dev/null || echo "\"room scenario failed\"")" "$LOGDIR"; exit 0; }

cleanup() { "$NETNS" down "$RUN" 2>>"$LOGDIR/netns.log" || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
export VISAGE_NETNS_DELAY="${VISAGE_NETNS_DELAY:-none}"

T0=$(date +%s%3N)
"$NETNS" up "$RUN" a=0 core:10.212.0.2:a n1:$NODE_IP:a c1:10.212.0.101:a c2:10.212.0.102:a \
  2>>"$LOGDIR/netns.log" || fail "netns set-up failed: $(tail -n 5 "$LOGDIR/netns.log")"
MODE="$("$NETNS" mode "$RUN")"
say "namespaces up ($MODE) run $RUN, logs $LOGDIR"

# a fresh store: the scenario creates its room under a fixed link (/r/weekly-sync) on every run
rm -rf "$LOGDIR/store"
start_store core 10.212.0.2
MEMBERS="$NODE_IP"
start_node n1 "$NODE_IP" a
await_cluster core 1 "${VISAGE_ROOM_START_TIMEOUT:-240}" "$NODE_IP"
T1=$(date +%s%3N)
say "node up in $((T1 - T0)) ms"

chromium_wrappers c1 c2
NODE_MODULES="${VISAGE_NODE_MODULES:-$ROOT/tests/browser/node_modules}"
CONFIG=$(cat <<JSON
{"run":"$RUN","mode":"$MODE","logdir":"$LOGDIR","startupMs":$((T1 - T0)),"seconds":${VISAGE_ROOM_SECONDS:-10},"repeat":${VISAGE_ROOM_REPEAT:-0},"bweRounds":${VISAGE_ROOM_BWE_ROUNDS:-0},"netns":"$NETNS",
 "node":{"id":"node-n1","url":"http://$NODE_IP:$PORT"},"clients":{"c1":"$LOGDIR/chromium-c1","c2":"$LOGDIR/chromium-c2"},"firefox":"${FIREFOX:-/usr/bin/firefox-esr}"}
JSON
)
say "running the browsers"
in_core env NODE_PATH="$NODE_MODULES" VISAGE_SCENARIO="$CONFIG" node "$HERE/room-scenario.mjs" 2> "$LOGDIR/driver.log" \
  | tail -n 1 || fail "driver failed; see $LOGDIR/driver.log"
