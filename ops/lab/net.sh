# The lab's network (sourced by ops/bin/netlab, not run): three hosts as Linux network namespaces
# mclab-h1..3, each with two links, as production hosts often have:
#   - the service link, eth0, 10.77.0.1N/24, a veth into the bridge mclab-br0 (root end mclab-hN):
#     clients, gateways and Cassandra (CQL and Cassandra's own gossip);
#   - the cluster link, eth1, 10.77.1.1N/24, a veth into the bridge mclab-br1 (root end mclab-cN):
#     Pekko Artery only (the nodes' canonical address is their cluster-link address).
# The root namespace is 10.77.0.1 on mclab-br0, so the simulator there reaches every gateway; it has
# no address on the cluster link. No route leaves the lab's two /24s (no default route).
# Everything is named with the prefix mclab-, so cleanup finds what a crashed run left behind.
# shellcheck shell=bash

lab_prefix=mclab
lab_bridge=mclab-br0
lab_hosts=3
lab_net=10.77.0
lab_root_ip="$lab_net.1"
lab_cbridge=mclab-br1
lab_cnet=10.77.1

lab_ns() { echo "$lab_prefix-h$1"; }
lab_ip() { echo "$lab_net.1$1"; }
# the root-namespace end of host N's veth: setting it down cuts host N off from everything
lab_link() { echo "$lab_prefix-h$1"; }
# host N's cluster-link address, and the root end of its cluster veth
lab_cip() { echo "$lab_cnet.1$1"; }
lab_clink() { echo "$lab_prefix-c$1"; }

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
  if ip -4 route show | grep -q "^$lab_cnet\."; then
    die "$lab_cnet.0/24 is already routed on this machine: the lab would collide with it"
  fi
  ip link add "$lab_bridge" type bridge
  ip addr add "$lab_root_ip/24" dev "$lab_bridge"
  ip link set "$lab_bridge" up
  ip link add "$lab_cbridge" type bridge
  ip link set "$lab_cbridge" up
  for n in $(seq 1 $lab_hosts); do
    ns="$(lab_ns "$n")"
    ip netns add "$ns"
    ip link add "$(lab_link "$n")" type veth peer name eth0 netns "$ns"
    ip link set "$(lab_link "$n")" master "$lab_bridge" up
    lab_in "$n" ip addr add "$(lab_ip "$n")/24" dev eth0
    lab_in "$n" ip link set lo up
    lab_in "$n" ip link set eth0 up
    ip link add "$(lab_clink "$n")" type veth peer name eth1 netns "$ns"
    ip link set "$(lab_clink "$n")" master "$lab_cbridge" up
    lab_in "$n" ip addr add "$(lab_cip "$n")/24" dev eth1
    lab_in "$n" ip link set eth1 up
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

# net_cut N [service|cluster|both] (default both): host N's link(s) down, both directions, every
# peer (and, for the service link, the simulator and the other Cassandras). net_heal N: every link
# of host N up and any one-way rule gone.
net_cut() {
  case "${2:-both}" in
    service) ip link set "$(lab_link "$1")" down ;;
    cluster) ip link set "$(lab_clink "$1")" down ;;
    both) ip link set "$(lab_link "$1")" down; ip link set "$(lab_clink "$1")" down ;;
    *) die "net_cut: unknown link '$2' (service, cluster or both)" ;;
  esac
}
net_heal() {
  ip link set "$(lab_link "$1")" up
  ip link set "$(lab_clink "$1")" up
  lab_in "$1" nft delete table inet mclab 2>/dev/null || true
}
# net_oneway N: host N's cluster link drops what comes IN (nftables inside host N): its own
# packets still leave, so the others keep hearing it while it hears nobody (until TCP gives up).
net_oneway() {
  command -v nft >/dev/null || die "the one-way partition needs nftables (apt-get install nftables)"
  printf 'table inet mclab {\n  chain input { type filter hook input priority 0; policy accept; iifname "eth1" drop; }\n}\n' \
    | lab_in "$1" nft -f -
}
