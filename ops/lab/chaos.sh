# The fault lab (sourced by ops/bin/netlab, not run; docs/faultlab.md). A chaos run:
#   1. brings the lab up when it is not (three hosts, service and cluster links, 3-node Cassandra ring);
#   2. starts the lab client (bin/microcert-sim lab run) in the root namespace: it provisions its
#      fleet, then sends every fresh AUTH certificate to two gateways at the same moment, revokes now
#      and then, samples every gateway's readiness, and records all of it (history.jsonl);
#   3. plays a schedule of faults (the nemeses below), one step after another; after each step every
#      link is healed, every process resumed, and a node that exited (downed by the split brain
#      resolver, or killed) is restarted, as a supervisor would; then the cluster gets time to settle;
#   4. heals everything, waits (bounded) until all three nodes count three members Up, lets the
#      client run on briefly, stops its pairs; the client reads every sensor back;
#   5. runs the checker (bin/microcert-sim lab check) over the history and the journal (read at ALL
#      from the healed ring): exit 1 on any safety violation.
# Schedules: --ci, the fixed one (the issue's pause-while-partitioned case), or a random one drawn
# from --seed for --duration; either is written to schedule.tsv, and --schedule FILE replays one.
# shellcheck shell=bash

chaos_usage() {
  echo "usage: ops/bin/netlab chaos (--ci | --seed S [--duration 30m] | --schedule FILE) [--sensors N] [--rate R] [--pair A,B] [--keep]" >&2
  exit 2
}

# the nemeses a random schedule draws from (each: KIND HOST HOLD_SECONDS SETTLE_SECONDS)
chaos_kinds=(partition-cluster partition-service partition-both partition-oneway pause pause-partitioned kill clock cassandra)
faketime_lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

cevent() { local t; t="$(awk -v s="$(date +%s.%N)" -v f="$chaos_t0" 'BEGIN { printf "%.1f", s - f }')"; printf '%s\t%s\t%s\n' "$t" "$1" "$2" >> "$rep/events.tsv"; say "[t=${t}s] $1: $2"; }

node_pid() { cat "$(hostdir "$1")/node.pid" 2>/dev/null || true; }

# heal_all: every link up, no one-way rule, every stopped node resumed, every Cassandra running
heal_all() {
  local n p
  for n in $(seq 1 $lab_hosts); do
    net_heal "$n" 2>/dev/null || true
    p="$(node_pid "$n")"; [ -z "$p" ] || kill -CONT "$p" 2>/dev/null || true
  done
}

# supervise: restarts (without a clock skew) every node whose process has exited, and every stopped
# Cassandra
supervise() {
  local n
  for n in $(seq 1 $lab_hosts); do
    if ! kill -0 "$(cat "$(hostdir "$n")/cassandra/cassandra.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      cevent restart "Cassandra $n restarted"
      cass_start "$n" "$(hostdir "$n")/cassandra"
    fi
    if ! node_alive "$n"; then
      cevent restart "node $n had exited ($(grep -c 'SBR took decision' "$(hostdir "$n")/node.log" 2>/dev/null || true) split-brain decisions in its log): restarted"
      node_env=(); node_start "$n"
    fi
  done
}

# settle_cluster SECONDS: supervises (a node downed a little after the heal is restarted too) until
# all three nodes count three members Up and none unreachable; false after SECONDS
settle_cluster() {
  local limit="$1"
  for _ in $(seq 1 "$limit"); do
    supervise
    if [ "$(members 1)" = "3 0" ] && [ "$(members 2)" = "3 0" ] && [ "$(members 3)" = "3 0" ]; then return 0; fi
    sleep 1
  done
  return 1
}

# members_line: what each node's /metrics says (up/unreachable), for the record
members_line() { local n out=""; for n in $(seq 1 $lab_hosts); do out+="node$n $(members "$n" | tr ' ' /) "; done; echo "$out"; }

# nemesis KIND HOST HOLD: one fault, held HOLD seconds, then healed
nemesis() {
  local kind="$1" h="$2" hold="$3" p
  case "$kind" in
    control) cevent "$kind" "no fault for ${hold} s"; sleep "$hold" ;;
    partition-cluster|partition-service|partition-both)
      net_cut "$h" "${kind#partition-}"
      cevent "$kind" "host $h's ${kind#partition-} link(s) cut for ${hold} s"
      sleep "$hold"; cevent "$kind" "before heal: $(members_line)"; net_heal "$h" ;;
    partition-oneway)
      net_oneway "$h"
      cevent "$kind" "host $h's cluster link drops everything coming in, for ${hold} s"
      sleep "$hold"; cevent "$kind" "before heal: $(members_line)"; net_heal "$h" ;;
    pause)
      p="$(node_pid "$h")"; kill -STOP "$p"
      cevent "$kind" "node $h (pid $p) SIGSTOPped for ${hold} s"
      sleep "$hold"; kill -CONT "$p" 2>/dev/null || true; cevent "$kind" "node $h resumed" ;;
    pause-partitioned)
      # the issue's case: cluster link cut, the node paused while the majority downs it and takes
      # its shards, resumed while still cut (it then serves its old shards until its own
      # stable-after runs out), healed 30 s later
      net_cut "$h" cluster; cevent "$kind" "host $h's cluster link cut"
      sleep 5
      p="$(node_pid "$h")"; kill -STOP "$p"
      cevent "$kind" "node $h (pid $p) SIGSTOPped for ${hold} s, cluster link still cut"
      sleep "$hold"; kill -CONT "$p" 2>/dev/null || true
      cevent "$kind" "node $h resumed, cluster link still cut; $(members_line)"
      sleep 30; cevent "$kind" "before heal: $(members_line)"; net_heal "$h"; cevent "$kind" "host $h's cluster link healed" ;;
    kill)
      p="$(node_pid "$h")"; kill -KILL "$p"
      for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
      cevent "$kind" "node $h (pid $p) SIGKILLed; restarted at once"
      node_env=(); node_start "$h"; sleep "$hold" ;;
    clock)
      [ -f "$faketime_lib" ] || die "the clock nemesis needs libfaketime (apt-get install faketime)"
      stop_pidfile "$(hostdir "$h")/node.pid"
      # the wall clock only: Pekko's failure detector and the entities' monotonic clocks keep real time
      local skew="+${hold}s"; [ "${hold#-}" = "$hold" ] || skew="${hold}s"
      node_env=("LD_PRELOAD=$faketime_lib" "FAKETIME=$skew" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_NO_CACHE=1)
      node_start "$h"; node_env=()
      cevent "$kind" "node $h restarted with its wall clock off by $skew (libfaketime)"
      ( node_wait "$h" 240 ) || cevent "$kind" "node $h not ready within 240 s under the skew"
      sleep 30
      stop_pidfile "$(hostdir "$h")/node.pid"; node_start "$h"
      cevent "$kind" "node $h restarted with the real clock" ;;
    cassandra)
      cass_stop "$(hostdir "$h")/cassandra"
      cevent "$kind" "Cassandra $h stopped for ${hold} s"
      sleep "$hold"; cass_start "$h" "$(hostdir "$h")/cassandra"; cevent "$kind" "Cassandra $h started" ;;
    *) die "unknown nemesis '$kind'" ;;
  esac
}

# random_schedule SEED SECONDS: KIND HOST HOLD SETTLE lines whose estimated length fills SECONDS
random_schedule() {
  local seed="$1" total="$2" spent=0 kind h hold settle
  RANDOM="$seed"
  echo -e "control\t-\t20\t0"
  while [ "$spent" -lt "$total" ]; do
    kind="${chaos_kinds[$((RANDOM % ${#chaos_kinds[@]}))]}"
    h=$((RANDOM % lab_hosts + 1))
    case "$kind" in
      pause) hold=$((RANDOM % 45 + 2)) ;;            # short GC pauses to longer than the failure detector
      pause-partitioned) hold=$((RANDOM % 30 + 30)) ;; # longer than detection + stable-after
      clock) hold=$(( (RANDOM % 2 * 2 - 1) * (RANDOM % 170 + 10) )) ;; # -180..+180 s
      kill) hold=5 ;;
      *) hold=$((RANDOM % 50 + 10)) ;;
    esac
    settle=$((RANDOM % 20 + 20))
    echo -e "$kind\t$h\t$hold\t$settle"
    spent=$(( spent + ${hold#-} + settle + 60 ))
  done
}

ci_schedule() {
  echo -e "control\t-\t20\t0"
  echo -e "pause-partitioned\t3\t40\t0"
}

# check_schedule FILE: every line KIND HOST HOLD SETTLE (tabs), or exit 2 naming the first bad line
check_schedule() {
  local kind h hold settle number=0
  while IFS=$'\t' read -r kind h hold settle; do
    number=$((number + 1))
    case "$kind" in ''|\#*) continue ;; esac
    if ! { [[ " control ${chaos_kinds[*]} " == *" $kind "* ]] && [[ "$h" =~ ^([1-3]|-)$ ]] \
        && [[ "$hold" =~ ^-?[0-9]{1,4}$ ]] && [[ "$settle" =~ ^[0-9]{1,4}$ ]]; }; then
      echo "netlab chaos: $1 line $number is not KIND HOST HOLD SETTLE (tab-separated; kinds: control ${chaos_kinds[*]})" >&2
      exit 2
    fi
    if [ "$kind" != control ] && [ "$h" = - ]; then echo "netlab chaos: $1 line $number: $kind needs a host (1-3)" >&2; exit 2; fi
  done < "$1"
}

to_seconds() {
  case "$1" in
    *h) echo $(( ${1%h} * 3600 )) ;; *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
  esac
}

chaos() {
  local ci=0 seed="" duration=30m schedule_file="" sensors="" rate="" pair=""
  keep=0
  while [ $# -gt 0 ]; do
    case "$1" in --seed|--duration|--schedule|--sensors|--rate|--pair)
      [ $# -ge 2 ] || { echo "netlab chaos: $1 needs a value" >&2; exit 2; } ;;
    esac
    case "$1" in
      --ci) ci=1; shift ;;
      --seed) seed="${2:-}"; shift 2 ;;
      --duration) duration="${2:-}"; shift 2 ;;
      --schedule) schedule_file="${2:-}"; shift 2 ;;
      --sensors) sensors="${2:-}"; shift 2 ;;
      --rate) rate="${2:-}"; shift 2 ;;
      --pair) pair="${2:-}"; shift 2 ;;
      --keep) keep=1; shift ;;
      *) echo "netlab chaos: unknown option $1" >&2; chaos_usage ;;
    esac
  done
  [ $(( ci + (${#seed} > 0 ? 1 : 0) + (${#schedule_file} > 0 ? 1 : 0) )) = 1 ] \
    || { echo "netlab chaos: give exactly one of --ci, --seed S, --schedule FILE" >&2; chaos_usage; }
  [ -z "$seed" ] || [[ "$seed" =~ ^[0-9]{1,9}$ ]] || { echo "netlab chaos: --seed must be a number (up to 9 digits)" >&2; exit 2; }
  [[ "$duration" =~ ^[1-9][0-9]*[smh]?$ ]] || { echo "netlab chaos: --duration must be like 30m, 1h or 600s" >&2; exit 2; }
  [ -z "$schedule_file" ] || [ -r "$schedule_file" ] || { echo "netlab chaos: --schedule $schedule_file cannot be read" >&2; exit 2; }
  [ -z "$schedule_file" ] || check_schedule "$schedule_file"
  [ -z "$sensors" ] || [[ "$sensors" =~ ^[1-9][0-9]*$ ]] || { echo "netlab chaos: --sensors must be a positive number" >&2; exit 2; }
  [ -z "$rate" ] || [[ "$rate" =~ ^[1-9][0-9]*$ ]] || { echo "netlab chaos: --rate must be a positive number" >&2; exit 2; }
  [ -z "$pair" ] || [[ "$pair" =~ ^[1-3],[1-3]$ ]] || { echo "netlab chaos: --pair must be two host numbers, like 3,1" >&2; exit 2; }
  if [ "$ci" = 1 ]; then sensors="${sensors:-100}" rate="${rate:-10}" pair="${pair:-3,1}" seed=1; fi
  sensors="${sensors:-300}" rate="${rate:-15}" seed="${seed:-1}"

  chaos_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    heal_all
    stop_pidfile "$var/labclient.pid"
    if [ "$keep" = 0 ]; then say "taking the lab down"; down || true; fi
    exit "$rc"
  }
  trap chaos_cleanup EXIT
  trap 'exit 130' INT TERM
  if ! lab_is_up; then up; fi
  ensure_dist
  local n
  rep="$var/reports"  # cevent's file until the run's own directory exists
  # a lab kept up from an earlier run may have a node that exited since: restarted first
  chaos_t0="$(date +%s.%N)"
  settle_cluster 300 || die "the lab's nodes do not all count three members Up (ops/bin/netlab status)"

  rep="$var/reports/chaos-$(date -u +%Y%m%dT%H%M%SZ)-$([ "$ci" = 1 ] && echo ci || echo "seed$seed")"
  mkdir -p "$rep"; : > "$rep/events.tsv"
  chaos_t0="$(date +%s.%N)"
  if [ -n "$schedule_file" ]; then cp "$schedule_file" "$rep/schedule.tsv"
  elif [ "$ci" = 1 ]; then ci_schedule > "$rep/schedule.tsv"
  else random_schedule "$seed" "$(to_seconds "$duration")" > "$rep/schedule.tsv"; fi
  local command="ops/bin/netlab chaos $([ "$ci" = 1 ] && echo --ci || { [ -n "$schedule_file" ] && echo "--schedule $schedule_file" || echo "--seed $seed --duration $duration"; }) --sensors $sensors --rate $rate${pair:+ --pair $pair}"
  cevent start "$command; schedule $rep/schedule.tsv ($(wc -l < "$rep/schedule.tsv") steps)"

  local pair_opt=()
  [ -z "$pair" ] || pair_opt=(--pair "$pair")
  JAVA_OPTS="${NETLAB_SIM_JAVA_OPTS:--Xmx384m}" start_bg labclient "$var" "$(sim_bin)" lab run -g "$(gateways 1 2 3)" \
    --transport-key "$var/keys/ktrans.mctk" --transport-key-password-file "$var/keys/ktrans.pw" \
    --operator-token-file "$var/keys/operator.token" --sensors "$sensors" --rate "$rate" "${pair_opt[@]}" \
    --seed "$seed" --timeout 5s --duration 4h --stop-file "$rep/stop" --read-deadline 180s \
    --history "$rep/history.jsonl"
  local client; client="$(cat "$var/labclient.pid")"
  local ok=0
  for _ in $(seq 1 600); do
    grep -qs '^provisioned ' "$var/labclient.log" && { ok=1; break; }
    kill -0 "$client" 2>/dev/null || break
    sleep 0.5
  done
  [ "$ok" = 1 ] || { cp "$var/labclient.log" "$rep/client.log" 2>/dev/null || true; die "the lab client did not start (console $rep/client.log)"; }
  cevent client "$(grep '^provisioned ' "$var/labclient.log")"

  local kind h hold settle
  while IFS=$'\t' read -r kind h hold settle; do
    [ -n "$kind" ] || continue
    case "$kind" in \#*) continue ;; esac
    kill -0 "$client" 2>/dev/null || { cevent client "the lab client exited early"; break; }
    nemesis "$kind" "$h" "$hold"
    heal_all
    if ! settle_cluster 240; then cevent settle "not all three Up after 240 s: $(members_line)"; fi
    cevent settle "$(members_line); settling ${settle} s"
    sleep "$settle"
  done < "$rep/schedule.tsv"

  heal_all
  settle_cluster 240 || cevent settle "not all three Up after 240 s: $(members_line)"
  sleep 15
  touch "$rep/stop"
  cevent end "schedule over, everything healed: $(members_line); the client reads every sensor back"
  for _ in $(seq 1 400); do kill -0 "$client" 2>/dev/null || break; sleep 1; done
  kill -0 "$client" 2>/dev/null && { cevent end "the lab client still runs 400 s after the stop: stopped"; stop_pidfile "$var/labclient.pid"; }
  cp "$var/labclient.log" "$rep/client.log"

  # the journal is read at ALL: every Cassandra must answer
  for n in $(seq 1 $lab_hosts); do ( cass_wait "$n" "$(hostdir "$n")/cassandra" 180 ) || cevent end "Cassandra $n does not answer"; done
  local rc=0
  "$(sim_bin)" lab check --history "$rep/history.jsonl" --cassandra "$(lab_ip 1):9042" --report "$rep/check.json" \
    > "$rep/check.log" 2>&1 || rc=$?
  cat "$rep/check.log"
  for n in $(seq 1 $lab_hosts); do
    grep -h 'SBR took decision\|is the new leader\|Marking node.* as \[Unreachable\]\|Leader is removing\|UNAVAILABLE' \
      "$(hostdir "$n")/node.log" 2>/dev/null | cut -c1-300 | tail -n 40 > "$rep/node$n-membership.log" || true
  done
  jq -n --arg command "$command" --argjson seed "$seed" --rawfile schedule "$rep/schedule.tsv" \
    --rawfile events "$rep/events.tsv" --slurpfile check "$rep/check.json" '{
      command: $command, seed: $seed,
      schedule: ($schedule | split("\n") | map(select(length > 0) | split("\t") | {kind: .[0], host: .[1], hold: .[2], settle: .[3]})),
      events: ($events | split("\n") | map(select(length > 0) | split("\t") | {t: (.[0] | tonumber), event: .[1], detail: .[2]})),
      check: $check[0]
    }' > "$rep/report.json" 2>/dev/null || true
  case "$rc" in
    0) say "CHAOS PASSED: report $rep/report.json (history $rep/history.jsonl)" ;;
    1) echo "CHAOS FAILED (safety violation): report $rep/report.json, $rep/check.json" >&2 ;;
    *) echo "CHAOS: the checker could not run (exit $rc): $rep/check.log" >&2 ;;
  esac
  return "$rc"
}
