# Shared steps of the namespace browser scenarios (sourced by tests/*/ *-scenario.sh).
# The sourcing script sets ROOT, RUN, LOGDIR, PORT and defines fail(); every process started here
# runs inside the run's namespaces, so `netns.sh down RUN` ends it.

NETNS="$ROOT/tests/netns/netns.sh"

# The shared embedded store in namespace NS, listening on IP:27017; waits until it listens.
start_store() { # ns ip
  local ns="$1" ip="$2"
  mkdir -p "$LOGDIR/store"
  "$NETNS" exec "$RUN" "$ns" java -Xmx256m \
    -cp "$ROOT/plugins/visage-users-mongo/target/visage-users-mongo-0.1.0-SNAPSHOT.jar:$ROOT/plugins/visage-users-mongo/target/lib/*" \
    dev.visage.users.mongo.EmbeddedMongoServer --host "$ip" --port 27017 --file "$LOGDIR/store/visage.mv" \
    > "$LOGDIR/store.log" 2>&1 &
  STORE_URI="mongodb://$ip:27017"
  for _ in $(seq 1 100); do grep -q "listening on" "$LOGDIR/store.log" 2>/dev/null && return 0; sleep 0.2; done
  fail "store did not start: $(tail -n 5 "$LOGDIR/store.log")"
}

# A Visage node started with the launcher inside namespace NAME (after start_store). MEMBERS is
# the comma list of every node's IP; EXTRA_JAVA_OPTS is added to the node's JVM options. The run's
# nodes share one cluster secret, LOGDIR/cluster.secret, made by the first.
start_node() { # name ip region
  local name="$1" ip="$2" region="$3"
  mkdir -p "$LOGDIR/$name"
  [[ -s "$LOGDIR/cluster.secret" ]] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$LOGDIR/cluster.secret")
  VISAGE_CLUSTER_SECRET_FILE="$LOGDIR/cluster.secret" VISAGE_HZ_INTERFACE="$ip" VISAGE_HZ_MEMBERS="$MEMBERS" VISAGE_CLUSTER_NAME="vis-$RUN" \
  VISAGE_PUBLIC_URL="http://$ip:$PORT" VISAGE_MONGO_URI="$STORE_URI" \
  VISAGE_MEDIA_ADDRESSES="$ip" VISAGE_START_TIMEOUT=200 \
  VISAGE_JAVA_OPTS="${VISAGE_NODE_JAVA_OPTS:--Xmx512m -XX:+UseSerialGC -Dvisage.media.addresses=$ip ${EXTRA_JAVA_OPTS:-}}" \
    "$NETNS" exec "$RUN" "$name" "$ROOT/visage" run --port "$PORT" --data "$LOGDIR/$name" \
      --region "$region" --node-id "node-$name" --media-port 10000 > "$LOGDIR/$name/launcher.log" 2>&1 &
}

# Writes LOGDIR/restart-node.sh NAME IP REGION: starts a node of this run again (after a kill -9),
# as start_node did, from any namespace of the host (a driver in core runs it).
restart_node_script() {
  cat > "$LOGDIR/restart-node.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
ROOT="$ROOT" RUN="$RUN" LOGDIR="$LOGDIR" PORT="$PORT" MEMBERS="$MEMBERS" STORE_URI="$STORE_URI"
EXTRA_JAVA_OPTS="${EXTRA_JAVA_OPTS:-}"
fail() { echo "restart-node: \$*" >&2; exit 1; }
source "\$ROOT/tests/netns/scenario-lib.sh"
start_node "\$1" "\$2" "\$3"
SH
  chmod +x "$LOGDIR/restart-node.sh"
}

# Waits (from namespace FROM) until every node IP answers /health in a cluster of SIZE.
await_cluster() { # from size timeout-seconds ip...
  local from="$1" size="$2" deadline=$((SECONDS + $3)) ip
  shift 3
  for ip in "$@"; do
    until "$NETNS" exec "$RUN" "$from" curl -fsS -m 3 "http://$ip:$PORT/health" 2>/dev/null \
        | grep -q "\"clusterSize\":$size"; do
      (( SECONDS < deadline )) || fail "node $ip not healthy in a $size-node cluster; see $LOGDIR/*/node.log"
      sleep 1
    done
  done
}

# One Chromium wrapper per client namespace: playwright starts it, it execs Chromium inside.
chromium_wrappers() { # client...
  local c
  for c in "$@"; do
    printf '#!/bin/sh\nexec ip netns exec vis-%s-%s %s "$@"\n' "$RUN" "$c" "${CHROMIUM:-/usr/bin/chromium}" > "$LOGDIR/chromium-$c"
    chmod +x "$LOGDIR/chromium-$c"
  done
}

# Runs a command in the core namespace (the store's and the test driver's).
in_core() { "$NETNS" exec "$RUN" core "$@"; }
