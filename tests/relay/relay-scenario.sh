#!/usr/bin/env bash
# Relay scenario: two Visage nodes in two network namespaces ("regions" a and b, one cluster over
# 10.211.0.0/24), one Chromium page per node and 3 receive-only viewer pages on node b, all in one
# room. Prints ONE line of JSON on stdout (the verdict of relay-scenario.mjs); progress goes to
# stderr, logs to LOGDIR.
# VISAGE_RELAY_CLUSTER=hazelcast (default) clusters the nodes on Payara's Hazelcast;
# VISAGE_RELAY_CLUSTER=redis on a redis-server in the core namespace (10.211.0.2:6379, append-only
# file under LOGDIR), which the driver then kills and starts again 3 s later in the middle of the
# measured call (LOGDIR/restart-redis.sh).
# VISAGE_RELAY_CAP_ROUNDS=N (default 1): rounds of viewer1's downlink capped and lifted (./visage
# bench bwe --far runs several).
#
#   tests/relay/relay-scenario.sh [LOGDIR]
# Needs root, ip, chromium, node with playwright-core (tests/browser/node_modules). Reuses
# tests/netns/netns.sh (namespaces, hub, delays) without changing it.
#
# Layout (one-way uplink delays a=5 ms, b=15 ms: node a <-> node b RTT ~40 ms with netem;
# without sch_netem there is no delay rather than the user-space switch, which would carry all
# the video):
#   core 10.211.0.2  (a)  the shared embedded store, redis-server (Redis backend only) and the test
#                         driver (node + playwright)
#   na   10.211.0.11 (a)  node-a: media UDP 10000, relay UDP 11000
#   nb   10.211.0.12 (b)  node-b: media UDP 10000, relay UDP 11000
#   ca   10.211.0.101 (a) Chromium: alice (camera + mic, fake devices)
#   cb   10.211.0.102 (b) Chromium: bob (camera + mic) and viewers v2, v3 (no devices: receive only)
#   cc   10.211.0.103 (b) Chromium: viewer v1 (receive only), whose downlink the driver caps
# Client namespaces get a blackhole route to the other node (only its own node is reachable), so
# every page lands on the intended node whatever the delays.
# Teardown (EXIT trap, also on failure or signal): netns.sh down kills every process inside the
# run's namespaces (only ours) and deletes them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
LOGDIR="${1:-$(mktemp -d /tmp/visage-relay-XXXXXX)}"
mkdir -p "$LOGDIR"
RUN="${VISAGE_RELAY_RUN:-y$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5)}"
DELAYS="${VISAGE_RELAY_DELAYS:-a=5,b=15}"
PORT=8080
source "$ROOT/tests/netns/scenario-lib.sh"
say() { printf '[relay] %s\n' "$*" >&2; }
fail() { printf '{"ok":false,"error":%s,"logdir":"%s"}\n' "$(printf '%s' "$*" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))' 2>/dev/null || echo "\"relay scenario failed\"")" "$LOGDIR"; exit 0; }

cleanup() { "$NETNS" down "$RUN" 2>>"$LOGDIR/netns.log" || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# netem if the kernel has it, else no delay (never the python switch for this much video)
if [[ -z "${VISAGE_NETNS_DELAY:-}" ]]; then
  probe="vis-rprobe-$$"
  export VISAGE_NETNS_DELAY=none
  if ip netns add "$probe" 2>/dev/null; then
    ip -n "$probe" link set lo up
    ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && VISAGE_NETNS_DELAY=netem
    ip netns del "$probe"
  fi
fi

T0=$(date +%s%3N)
"$NETNS" up "$RUN" "$DELAYS" core:10.211.0.2:a na:10.211.0.11:a nb:10.211.0.12:b ca:10.211.0.101:a cb:10.211.0.102:b cc:10.211.0.103:b \
  2>>"$LOGDIR/netns.log" || fail "netns set-up failed: $(tail -n 5 "$LOGDIR/netns.log")"
MODE="$("$NETNS" mode "$RUN")"
# Each client namespace reaches only its own node: the pages must land on node a / node b even
# when there is no delay to tell them apart (the client picks the node with the lowest RTT).
ip -n "vis-$RUN-ca" route add blackhole 10.211.0.12/32
ip -n "vis-$RUN-cb" route add blackhole 10.211.0.11/32
ip -n "vis-$RUN-cc" route add blackhole 10.211.0.11/32
say "namespaces up ($MODE) run $RUN, logs $LOGDIR"

start_store core 10.211.0.2
MID_CALL=""
if [[ "${VISAGE_RELAY_CLUSTER:-hazelcast}" == "redis" ]]; then
  rm -rf "$LOGDIR/redis" && mkdir -p "$LOGDIR/redis" # no state from an earlier run
  cat > "$LOGDIR/restart-redis.sh" <<SH
#!/usr/bin/env bash
# Starts redis-server in the core namespace, or with "crash-and-restart" kills it (SIGKILL) and
# starts it again 3 s later; waits until it answers.
set -euo pipefail
if [[ "\${1:-}" == crash-and-restart ]]; then
  kill -9 "\$(cat "$LOGDIR/redis/redis.pid")"
  sleep 3
fi
"$NETNS" exec "$RUN" core redis-server --port 6379 --bind 10.211.0.2 --dir "$LOGDIR/redis" --appendonly yes \
  --requirepass relay-secret --save '' --daemonize yes --pidfile "$LOGDIR/redis/redis.pid" --logfile "$LOGDIR/redis.log"
for _ in \$(seq 1 100); do
  [[ "\$("$NETNS" exec "$RUN" core redis-cli -h 10.211.0.2 -p 6379 -a relay-secret --no-auth-warning ping 2>/dev/null)" == PONG ]] && exit 0
  sleep 0.1
done
echo "redis-server did not answer" >&2; exit 1
SH
  chmod +x "$LOGDIR/restart-redis.sh"
  "$LOGDIR/restart-redis.sh" || fail "redis-server did not start: $(tail -n 5 "$LOGDIR/redis.log")"
  # off loopback Redis refuses clients without a password (protected mode): the nodes log in
  export VISAGE_CLUSTER=redis VISAGE_REDIS_URI="redis://:relay-secret@10.211.0.2:6379"
  MID_CALL="$LOGDIR/restart-redis.sh crash-and-restart"
  say "cluster backend: redis-server in core at 10.211.0.2:6379"
fi
MEMBERS=10.211.0.11,10.211.0.12
EXTRA_JAVA_OPTS="-Dvisage.relay.port=11000"
start_node na 10.211.0.11 a
start_node nb 10.211.0.12 b
await_cluster core 2 "${VISAGE_RELAY_START_TIMEOUT:-240}" 10.211.0.11 10.211.0.12
T1=$(date +%s%3N)
say "both nodes up and clustered in $((T1 - T0)) ms"

chromium_wrappers ca cb cc
NODE_MODULES="${VISAGE_NODE_MODULES:-$ROOT/tests/browser/node_modules}"
CONFIG=$(cat <<JSON
{"run":"$RUN","mode":"$MODE","delays":"$DELAYS","logdir":"$LOGDIR","startupMs":$((T1 - T0)),
 "seconds":${VISAGE_RELAY_SECONDS:-10},"viewers":${VISAGE_RELAY_VIEWERS:-3},
 "midCall":"$MID_CALL","netns":"$NETNS","capRounds":${VISAGE_RELAY_CAP_ROUNDS:-1},
 "nodes":{"a":{"id":"node-na","url":"http://10.211.0.11:$PORT"},"b":{"id":"node-nb","url":"http://10.211.0.12:$PORT"}},
 "clients":{"ca":"$LOGDIR/chromium-ca","cb":"$LOGDIR/chromium-cb","cc":"$LOGDIR/chromium-cc"}}
JSON
)
say "running the browsers"
in_core env NODE_PATH="$NODE_MODULES" VISAGE_SCENARIO="$CONFIG" node "$HERE/relay-scenario.mjs" 2> "$LOGDIR/driver.log" \
  | tail -n 1 || fail "driver failed; see $LOGDIR/driver.log"
