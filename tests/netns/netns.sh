#!/usr/bin/env bash
# Multi-namespace "regions" for Visage tests: namespaces with one private address each on
# 10.210.0.0/24, grouped in regions; traffic inside a region passes at once, traffic between two
# regions waits delay(A) + delay(B) one way (so RTT = 2*(dA+dB)), as if every region had one
# uplink to a core with that one-way delay.
#
#   netns.sh up RUN [--links FILE] REGION=DELAY_MS,... NAME:IP:REGION ...
#                                  create vis-RUN-hub and vis-RUN-NAME for each NAME
#   netns.sh down RUN              kill every process left in those namespaces, delete them
#   netns.sh exec RUN NAME cmd ... run a command inside vis-RUN-NAME
#   netns.sh mode RUN              netem | switch | none: how the delays are made
#   netns.sh stats RUN             the delay switch's per-pair figures (JSON), {} without a switch
#   netns.sh cap-drops RUN         frames the rate caps have dropped so far (all capped hosts)
#   netns.sh udp-blackout RUN on|off   drop (on) or pass again (off) every UDP frame between the
#                                  namespaces, TCP untouched: a dead media path (switch mode only)
#   netns.sh rate-cap RUN NAME KBPS [QUEUE_BYTES] | rate-cap RUN NAME off
#                                  cap NAME's downlink (what the hub sends it) at KBPS, a token
#                                  bucket with a small drop-tail queue (default 200 ms at the rate,
#                                  >= 3000 bytes): the delay switch's --rate-caps in switch mode,
#                                  a tbf qdisc on NAME's hub-side veth otherwise
#
# NAME's namespace has interface eth0 (IP/24, lo up); the veth peer sits in the hub namespace.
#   - netem:  in the hub, a bridge per region (br-REGION) holds its members' veths and joins the
#             core bridge through a veth pair with `tc qdisc netem delay DELAY` on both ends: one
#             L2 segment, a tree (no loops), delays only between regions.
#   - switch: when the kernel has no sch_netem (seen on the development VM), the hub runs
#             delay-switch.py instead: a user-space learning switch that holds every frame for
#             the same delays. Needs python3.
#   - none:   neither available: no delays.
# VISAGE_NETNS_DELAY=netem|switch|none overrides the automatic choice.
# --links FILE: per-pair one-way delay, jitter and loss between namespaces or regions (rules in
# delay-switch.py's format, e.g. `eu <> sg 80 2 0.1`); pairs without a rule keep the uplink
# delays. Needs the delay switch (python3), which is then used even where netem exists; it writes
# what it applied per pair to `$(state dir)/switch-stats.json` (see `netns.sh stats RUN`).
# Only namespaces this script creates are touched; nothing is configured in the root namespace.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

state_dir() { echo "${TMPDIR:-/tmp}/visage-netns-$1"; }
ns_name() { echo "vis-$1-$2"; }

have_netem() {
  local probe="vis-probe-$$"
  ip netns add "$probe" 2>/dev/null || return 1
  ip -n "$probe" link set lo up
  local ok=1
  ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && ok=0
  ip netns del "$probe"
  return $ok
}

cmd_up() {
  local run="$1" links=""; shift
  if [[ "${1:-}" == --links ]]; then links="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2; fi
  local delays="$1"; shift
  local dir; dir="$(state_dir "$run")"
  [[ ${#run} -le 6 && "$run" =~ ^[a-z0-9]+$ ]] || { echo "RUN must be 1-6 chars [a-z0-9]" >&2; exit 2; }
  mkdir -p "$dir"
  local hub; hub="$(ns_name "$run" hub)"
  local mode="${VISAGE_NETNS_DELAY:-auto}"
  if [[ -n "$links" ]]; then
    [[ -f "$links" ]] || { echo "links file $links not found" >&2; exit 2; }
    [[ "$mode" == auto || "$mode" == switch ]] || { echo "--links needs the delay switch, not $mode" >&2; exit 2; }
    command -v python3 >/dev/null 2>&1 || { echo "--links needs python3 (delay switch)" >&2; exit 2; }
    mode=switch
  fi
  if [[ "$mode" == auto ]]; then
    if have_netem; then mode=netem
    elif command -v python3 >/dev/null 2>&1; then mode=switch
    else mode=none; fi
  fi
  echo "$mode" > "$dir/mode"
  echo "$hub" > "$dir/namespaces"
  declare -A delay_of=()
  local pair r d
  IFS=, read -ra pairs <<< "$delays"
  for pair in "${pairs[@]}"; do r="${pair%%=*}"; d="${pair#*=}"; delay_of[$r]="$d"; done
  ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip netns exec "$hub" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
  if [[ "$mode" != switch ]]; then
    ip -n "$hub" link add brcore type bridge
    ip -n "$hub" link set brcore up
  fi
  local ports=() i=0 spec name ip region ns hubif
  declare -A region_index=()
  for spec in "$@"; do
    IFS=: read -r name ip region <<< "$spec"
    d="${delay_of[$region]:-0}"
    ns="$(ns_name "$run" "$name")"
    hubif="h${run}n${i}"
    ip netns add "$ns"
    echo "$ns" >> "$dir/namespaces"
    echo "$name $ip $region $d" >> "$dir/hosts"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
    ip -n "$ns" link add eth0 type veth peer name "$hubif" netns "$hub"
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$hub" link set "$hubif" up
    case "$mode" in
      netem)
        if [[ -z "${region_index[$region]:-}" ]]; then
          local k=${#region_index[@]} br="br${k}" up="h${run}u${k}" down="h${run}d${k}"
          region_index[$region]=$k
          ip -n "$hub" link add "$br" type bridge
          ip -n "$hub" link set "$br" up
          ip -n "$hub" link add "$up" type veth peer name "$down"
          ip -n "$hub" link set "$up" master "$br"
          ip -n "$hub" link set "$down" master brcore
          ip -n "$hub" link set "$up" up
          ip -n "$hub" link set "$down" up
          if [[ "$d" != 0 ]]; then
            ip netns exec "$hub" tc qdisc add dev "$up" root netem delay "${d}ms" limit 100000
            ip netns exec "$hub" tc qdisc add dev "$down" root netem delay "${d}ms" limit 100000
          fi
        fi
        ip -n "$hub" link set "$hubif" master "br${region_index[$region]}" ;;
      switch)
        ip -n "$hub" link set "$hubif" promisc on
        ports+=("$hubif=$region:$d:$name") ;;
      none)
        ip -n "$hub" link set "$hubif" master brcore ;;
    esac
    i=$((i + 1))
  done
  if [[ "$mode" == switch ]]; then
    local opts=(--stats "$dir/switch-stats.json" --udp-blackout "$dir/udp-blackout" --rate-caps "$dir/rate-caps")
    [[ -n "$links" ]] && opts+=(--links "$links")
    ip netns exec "$hub" python3 -u "$HERE/delay-switch.py" "${opts[@]}" "${ports[@]}" > "$dir/switch.log" 2>&1 &
    echo $! > "$dir/switch.pid"
    local n
    for n in $(seq 1 50); do grep -q ready "$dir/switch.log" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$dir/switch.log" || { cat "$dir/switch.log" >&2; echo "delay switch did not start" >&2; exit 1; }
  fi
  echo "[netns] $run up ($mode; one-way uplink delays $delays${links:+; links $links}): $*" >&2
}

cmd_down() {
  local run="$1" dir ns pid
  dir="$(state_dir "$run")"
  [[ -f "$dir/switch.pid" ]] && kill "$(cat "$dir/switch.pid")" 2>/dev/null || true
  # Every process still inside one of our namespaces was started by this run: end it.
  local list
  list="$( { cat "$dir/namespaces" 2>/dev/null || true; ip netns list 2>/dev/null | awk '{print $1}' | grep "^vis-$run-" || true; } | sort -u)"
  for sig in TERM KILL; do
    local any=0
    for ns in $list; do
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -"$sig" "$pid" 2>/dev/null && any=1; done
    done
    [[ $any == 0 ]] && break
    [[ $sig == TERM ]] && for _ in $(seq 1 30); do
      local left=0
      for ns in $list; do [[ -n "$(ip netns pids "$ns" 2>/dev/null)" ]] && left=1; done
      [[ $left == 0 ]] && break
      sleep 0.2
    done
  done
  for ns in $list; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$dir"
  echo "[netns] $run down" >&2
}

cmd_rate_cap() {
  local run="$1" name="$2" kbps="${3:-}" dir
  dir="$(state_dir "$run")"
  [[ -n "$kbps" ]] || { echo "rate-cap RUN NAME KBPS [QUEUE_BYTES] | off" >&2; exit 2; }
  local index; index="$(awk -v n="$name" '$1 == n { print NR - 1 }' "$dir/hosts")"
  [[ -n "$index" ]] || { echo "no host $name in run $run" >&2; exit 2; }
  local queue="${4:-}"
  if [[ "$kbps" != off && -z "$queue" ]]; then queue=$(( kbps * 1000 / 40 )); (( queue < 3000 )) && queue=3000; fi
  if [[ "$(cat "$dir/mode")" == switch ]]; then
    local rules; rules="$(grep -v "^$name " "$dir/rate-caps" 2>/dev/null || true)"
    [[ "$kbps" != off ]] && rules+=$'\n'"$name $kbps $queue"
    printf '%s\n' "$rules" | sed '/^$/d' > "$dir/rate-caps.tmp"
    mv "$dir/rate-caps.tmp" "$dir/rate-caps"
  else
    local hub hubif; hub="$(ns_name "$run" hub)"; hubif="h${run}n${index}"
    if [[ "$kbps" == off ]]; then
      ip netns exec "$hub" tc qdisc del dev "$hubif" root 2>/dev/null || true
    else
      ip netns exec "$hub" tc qdisc replace dev "$hubif" root tbf rate "${kbps}kbit" burst 3000 limit "$queue"
    fi
  fi
  echo "[netns] $run: $name's downlink ${kbps}${queue:+ kbit/s, queue $queue bytes}" >&2
}

# Frames the rate caps have dropped so far (drop-tail), all capped hosts together: the delay
# switch's count in switch mode (as of its last stats write, every 2 s), the hub's tbf qdiscs'
# otherwise (reset when a cap is lifted).
cmd_cap_drops() {
  local dir; dir="$(state_dir "$1")"
  if [[ "$(cat "$dir/mode")" == switch ]]; then
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("capDropped", 0))' "$dir/switch-stats.json" 2>/dev/null || echo 0
  else
    ip netns exec "$(ns_name "$1" hub)" tc -s qdisc show | awk '/^qdisc/ { tbf = ($2 == "tbf") }
      tbf { for (i = 1; i < NF; i++) if ($i == "(dropped") { v = $(i + 1); gsub(",", "", v); n += v } } END { print n + 0 }'
  fi
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  exec) shift; run="$1"; name="$2"; shift 2; exec ip netns exec "$(ns_name "$run" "$name")" "$@" ;;
  mode) cat "$(state_dir "$2")/mode" ;;
  stats) cat "$(state_dir "$2")/switch-stats.json" 2>/dev/null || echo '{}' ;;
  cap-drops) cmd_cap_drops "$2" ;;
  udp-blackout)
    [[ "$(cat "$(state_dir "$2")/mode")" == switch ]] || { echo "udp-blackout needs the delay switch" >&2; exit 2; }
    case "${3:-}" in
      on) touch "$(state_dir "$2")/udp-blackout" ;;
      off) rm -f "$(state_dir "$2")/udp-blackout" ;;
      *) echo "udp-blackout RUN on|off" >&2; exit 2 ;;
    esac ;;
  rate-cap) shift; cmd_rate_cap "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
