#!/usr/bin/env bash
# Room media scenario (issue 3, acceptance 1, through the real web client): ONE Visage node in
# its own network namespace, the shared embedded store and the driver in "core", three Chromium
# pages (fake camera + microphone) in a client namespace, all in one room. Prints ONE line of
# JSON on stdout (the verdict of room-scenario.mjs); progress goes to stderr, logs to LOGDIR.
#
#   tests/media/room-scenario.sh [LOGDIR]
# Needs root, ip, chromium, node with playwright-core (tests/browser/node_modules). Uses
# tests/netns/netns.sh (one region, no delays: VISAGE_NETNS_DELAY=none unless set).
#
#   core 10.212.0.2    the shared embedded store and the test driver (node + playwright)
#   n1   10.212.0.11   the Visage node (`./visage run`): HTTP 8080, media UDP 10000
#   c1   10.212.0.101  Chromium: alice, bob, carol
# Teardown (EXIT trap, also on failure or signal): netns.sh down kills every process inside the
# run's namespaces (only ours) and deletes them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NETNS="$ROOT/tests/netns/netns.sh"
LOGDIR="${1:-$(mktemp -d /tmp/visage-room-XXXXXX)}"
mkdir -p "$LOGDIR"
RUN="${VISAGE_ROOM_RUN:-m$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5)}"
PORT=8080
NODE_IP=10.212.0.11
say() { printf '[room] %s\n' "$*" >&2; }
fail() { printf '{"ok":false,"error":%s,"logdir":"%s"}\n' "$(printf '%s' "$*" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))' 2>/dev/null || echo "\"room scenario failed\"")" "$LOGDIR"; exit 0; }

cleanup() { "$NETNS" down "$RUN" 2>>"$LOGDIR/netns.log" || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
export VISAGE_NETNS_DELAY="${VISAGE_NETNS_DELAY:-none}"

T0=$(date +%s%3N)
"$NETNS" up "$RUN" a=0 core:10.212.0.2:a n1:$NODE_IP:a c1:10.212.0.101:a \
  2>>"$LOGDIR/netns.log" || fail "netns set-up failed: $(tail -n 5 "$LOGDIR/netns.log")"
MODE="$("$NETNS" mode "$RUN")"
say "namespaces up ($MODE) run $RUN, logs $LOGDIR"

MONGO_JAR="$ROOT/plugins/visage-users-mongo/target/visage-users-mongo-0.1.0-SNAPSHOT.jar"
MONGO_LIB="$ROOT/plugins/visage-users-mongo/target/lib"
mkdir -p "$LOGDIR/store" "$LOGDIR/n1"
"$NETNS" exec "$RUN" core java -Xmx256m -cp "$MONGO_JAR:$MONGO_LIB/*" dev.visage.users.mongo.EmbeddedMongoServer \
  --host 10.212.0.2 --port 27017 --file "$LOGDIR/store/visage.mv" > "$LOGDIR/store.log" 2>&1 &
for i in $(seq 1 100); do grep -q "listening on" "$LOGDIR/store.log" 2>/dev/null && break; sleep 0.2; done
grep -q "listening on" "$LOGDIR/store.log" || fail "store did not start: $(tail -n 5 "$LOGDIR/store.log")"

VISAGE_HZ_INTERFACE="$NODE_IP" VISAGE_HZ_MEMBERS="$NODE_IP" VISAGE_CLUSTER_NAME="vis-$RUN" \
VISAGE_PUBLIC_URL="http://$NODE_IP:$PORT" VISAGE_MONGO_URI="mongodb://10.212.0.2:27017" \
VISAGE_MEDIA_ADDRESSES="$NODE_IP" VISAGE_START_TIMEOUT=200 \
VISAGE_JAVA_OPTS="${VISAGE_NODE_JAVA_OPTS:--Xmx512m -XX:+UseSerialGC -Dvisage.media.addresses=$NODE_IP}" \
  "$NETNS" exec "$RUN" n1 "$ROOT/visage" run --port "$PORT" --data "$LOGDIR/n1" \
    --region a --node-id node-n1 --media-port 10000 > "$LOGDIR/n1/launcher.log" 2>&1 &

in_core() { "$NETNS" exec "$RUN" core "$@"; }
deadline=$((SECONDS + ${VISAGE_ROOM_START_TIMEOUT:-240}))
until in_core curl -fsS -m 3 "http://$NODE_IP:$PORT/health" 2>/dev/null | grep -q '"clusterSize":1'; do
  (( SECONDS < deadline )) || fail "node $NODE_IP not healthy; see $LOGDIR/n1/node.log"
  sleep 1
done
T1=$(date +%s%3N)
say "node up in $((T1 - T0)) ms"

printf '#!/bin/sh\nexec ip netns exec vis-%s-c1 %s "$@"\n' "$RUN" "${CHROMIUM:-/usr/bin/chromium}" > "$LOGDIR/chromium-c1"
chmod +x "$LOGDIR/chromium-c1"
NODE_MODULES="${VISAGE_NODE_MODULES:-$ROOT/tests/browser/node_modules}"
CONFIG=$(cat <<JSON
{"run":"$RUN","mode":"$MODE","logdir":"$LOGDIR","startupMs":$((T1 - T0)),"seconds":${VISAGE_ROOM_SECONDS:-10},
 "node":{"id":"node-n1","url":"http://$NODE_IP:$PORT"},"clients":{"c1":"$LOGDIR/chromium-c1"}}
JSON
)
say "running the browsers"
in_core env NODE_PATH="$NODE_MODULES" VISAGE_SCENARIO="$CONFIG" node "$HERE/room-scenario.mjs" 2> "$LOGDIR/driver.log" \
  | tail -n 1 || fail "driver failed; see $LOGDIR/driver.log"
