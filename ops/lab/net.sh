# The lab's network (sourced by ops/bin/netlab, not run): three hosts as Linux network namespaces
# mclab-h1..3, each with one veth into the bridge mclab-br0 in the root namespace. Host N is
# 10.77.0.1N/24 on its eth0; the root namespace is 10.77.0.1 on the bridge, so the simulator there
# reaches every host, and no route leaves the lab's /24 (the namespaces have no default route).
# Everything is named with the prefix mclab-, so cleanup finds what a crashed run left behind.
# shellcheck shell=bash

lab_prefix=mclab
lab_bridge=mclab-br0
lab_hosts=3
lab_net=10.77.0
lab_root_ip="$lab_net.1"

lab_ns() { echo "$lab_prefix-h$1"; }
lab_ip() { echo "$lab_net.1$1"; }
# the root-namespace end of host N's veth: setting it down cuts host N off from everything
lab_link() { echo "$lab_prefix-h$1"; }

# lab_in N COMMAND...: runs COMMAND inside host N's namespace
lab_in() { local n="$1"; shift; ip netns exec "$(lab_ns "$n")" "$@"; }

# lab_spawn N LOG PIDFILE COMMAND...: COMMAND in host N's namespace in the background, in its own
# session (stop_pidfile signals its group), output appended to LOG. ip, setsid and the launchers
# all exec, so the pid recorded is the JVM's own (a drill SIGKILLs exactly it).
lab_spawn() {
  local n="$1" log="$2" pidfile="$3"; shift 3
  ip netns exec "$(lab_ns "$n")" setsid "$@" >> "$log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

net_up() {
  local n ns
  [ "$(id -u)" = 0 ] || die "the lab needs root (ip netns, veth, bridge)"
  command -v ip >/dev/null || die "the lab needs iproute2 (ip)"
  if ip -4 route show | grep -v "dev $lab_bridge" | grep -q "^$lab_net\."; then
    die "$lab_net.0/24 is already routed on this machine: the lab would collide with it"
  fi
  ip link add "$lab_bridge" type bridge
  ip addr add "$lab_root_ip/24" dev "$lab_bridge"
  ip link set "$lab_bridge" up
  for n in $(seq 1 $lab_hosts); do
    ns="$(lab_ns "$n")"
    ip netns add "$ns"
    ip link add "$(lab_link "$n")" type veth peer name eth0 netns "$ns"
    ip link set "$(lab_link "$n")" master "$lab_bridge" up
    lab_in "$n" ip addr add "$(lab_ip "$n")/24" dev eth0
    lab_in "$n" ip link set lo up
    lab_in "$n" ip link set eth0 up
  done
}

# net_down: kills every process inside a lab namespace, deletes the namespaces and every mclab-
# link. Idempotent: works after a crash, twice in a row, or with nothing there.
net_down() {
  local ns pids link
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$lab_prefix-" || true); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      for _ in $(seq 1 30); do [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || break; sleep 0.5; done
      pids="$(ip netns pids "$ns" 2>/dev/null || true)"
      # shellcheck disable=SC2086
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
      for _ in $(seq 1 20); do [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || break; sleep 0.25; done
    fi
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$lab_prefix-" || true); do
    ip link del "$link" 2>/dev/null || true
  done
}

# net_left: what of the lab's network exists (empty when nothing)
net_left() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$lab_prefix-" || true
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$lab_prefix-" || true
}

# cut N / heal N: host N's link down / up (both directions, every peer and the simulator)
net_cut() { ip link set "$(lab_link "$1")" down; }
net_heal() { ip link set "$(lab_link "$1")" up; }
