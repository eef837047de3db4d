# The lab's drills (sourced by ops/bin/netlab, not run). A drill:
#   1. provisions a small probe fleet through all three gateways (before any fault, so its sensors'
#      entities are spread over the three nodes);
#   2. starts the load: the simulator in the root namespace, round-robin over the three gateways,
#      good traffic plus every adversarial kind (its own fleet);
#   3. injects the fault under load: partition (host N's link down) or kill (SIGKILL of node N, which
#      is restarted at once, as a supervisor would);
#   4. partition: waits until both majority nodes count 2 members Up and none unreachable (the split
#      brain resolver downed the minority), re-imports and wakes the probe fleet through the
#      majority's gateways only (every sensor, including those that lived on the cut host, must be
#      ALREADY_PROVISIONED and accept a fresh certificate), heals the link, restarts the downed node;
#   5. waits until all three nodes count 3 members Up, then for the load to end;
#   6. re-imports and wakes the load's fleet through all three gateways.
# Verdict: PASSED when the safety checks hold (no wrong outcome in the load, the probes or the final
# check: no bad certificate accepted, in particular no replayed one, and no good one rejected; no
# acknowledged provisioning lost) and the liveness steps finished within their bounds.
# shellcheck shell=bash

drill_usage() { echo "usage: ops/bin/netlab drill partition|kill [--host N] [--sensors N] [--rate R] [--duration D] [--keep]" >&2; exit 2; }

sim_bin() { echo "$dist/bin/microcert-sim"; }

# sim_run NAME FLEET SENSORS GATEWAYS ARGS...: a short simulator run into $rep/NAME (console in
# $rep/NAME.log); prints nothing; returns the simulator's exit status
sim_run() {
  local name="$1" fleet="$2" sensors="$3" gws="$4"; shift 4
  JAVA_OPTS="${NETLAB_SIM_JAVA_OPTS:--Xmx512m}" timeout 600 "$(sim_bin)" run -g "$gws" \
    --transport-key "$var/keys/ktrans.mctk" --transport-key-password-file "$var/keys/ktrans.pw" \
    --operator-token-file "$var/keys/operator.token" --fleet-seed "$fleet" --sensors "$sensors" \
    --report-dir "$rep/$name" "$@" > "$rep/$name.log" 2>&1
}

# now: seconds since the drill's fault (negative before it), one decimal
now() { awk -v s="$(date +%s.%N)" -v f="$fault_at" 'BEGIN { printf "%.1f", s - f }'; }
event() { local t; t="$(now)"; printf '%s\t%s\t%s\n' "$t" "$1" "$2" >> "$rep/events.tsv"; say "[t=${t}s] $2"; }
check() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$rep/checks.tsv"; if [ "$2" = ok ]; then say "check $1: ok ($3)"; else echo "check $1: FAILED ($3)" >&2; fi; }

# wait_members EXPECT SECONDS NODES...: until each of NODES counts EXPECT members Up and none unreachable
wait_members() {
  local want="$1" limit="$2" n all; shift 2
  for _ in $(seq 1 "$limit"); do
    all=1
    for n in "$@"; do [ "$(members "$n")" = "$want 0" ] || all=0; done
    [ "$all" = 0 ] || return 0
    sleep 1
  done
  return 1
}

# probe NAME FLEET SENSORS NODES...: re-import + wake of a fleet through the NODES' gateways;
# records two checks: nothing of the fleet lost (every line ALREADY_PROVISIONED), every sensor
# accepted a fresh certificate (the wake: up to 5 passes)
probe() {
  local name="$1" fleet="$2" sensors="$3" rc=0 prov; shift 3
  sim_run "$name" "$fleet" "$sensors" "$(gateways "$@")" --wake --wake-settle 1s --rate 2 --ramp 0s --duration 1s \
    --timeout 15s --wait-ready 30s || rc=$?
  prov="$(jq -c '.provisioning | {provisioned, alreadyProvisioned, failed}' "$rep/$name/report.json" 2>/dev/null || echo '{}')"
  if [ "$(jq -r '.provisioned == 0 and .failed == 0 and .alreadyProvisioned > 0' <<<"$prov" 2>/dev/null)" = true ]; then
    check "$name-nothing-lost" ok "re-import through nodes $*: $prov"
  else
    check "$name-nothing-lost" failed "re-import through nodes $*: $prov (exit $rc)"
  fi
  if [ "$rc" = 0 ]; then
    check "$name-every-sensor-served" ok "wake through nodes $*: $(jq -c '.wake | {sensors, passes, notAccepted}' "$rep/$name/report.json")"
  else
    check "$name-every-sensor-served" failed "exit $rc (console $rep/$name.log)"
  fi
}

drill() {
  local kind="${1:-}"; shift || true
  # h and keep are global: the EXIT trap reads them after drill has returned
  h=3 keep=0
  local sensors=500 rate=40 duration=200s probe_sensors=150
  case "$kind" in partition|kill) ;; *) drill_usage ;; esac
  while [ $# -gt 0 ]; do
    case "$1" in
      --host) h="$2"; shift 2 ;;
      --sensors) sensors="$2"; shift 2 ;;
      --rate) rate="$2"; shift 2 ;;
      --duration) duration="$2"; shift 2 ;;
      --keep) keep=1; shift ;;
      *) echo "netlab drill: unknown option $1" >&2; drill_usage ;;
    esac
  done
  [[ "$h" =~ ^[1-3]$ ]] || { echo "netlab drill: --host must be 1, 2 or 3" >&2; exit 2; }
  [[ "$sensors" =~ ^[1-9][0-9]*$ ]] || { echo "netlab drill: --sensors must be a positive number" >&2; exit 2; }
  [[ "$rate" =~ ^[1-9][0-9]*$ ]] || { echo "netlab drill: --rate must be a positive number" >&2; exit 2; }
  [[ "$duration" =~ ^[1-9][0-9]*s$ ]] || { echo "netlab drill: --duration must be seconds, like 200s" >&2; exit 2; }
  local majority=() n
  for n in $(seq 1 $lab_hosts); do [ "$n" = "$h" ] || majority+=("$n"); done

  # whatever happens: the link healed, the load stopped, the lab down (unless --keep)
  drill_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    net_heal "$h" 2>/dev/null || true
    stop_pidfile "$var/sim.pid"
    if [ "$keep" = 0 ]; then say "taking the lab down"; down || true; fi
    exit "$rc"
  }
  trap drill_cleanup EXIT
  trap 'exit 130' INT TERM
  if ! lab_is_up; then up; fi
  ensure_dist
  for n in $(seq 1 $lab_hosts); do node_ready "$n" || die "node $n is not ready (ops/bin/netlab status)"; done

  rep="$var/reports/$kind-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$rep"; : > "$rep/events.tsv"; : > "$rep/checks.tsv"
  local started; started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  fault_at="$(date +%s.%N)"   # replaced at the fault; until then, times are from the drill's start
  local probe_fleet=$((RANDOM + 100000)) load_fleet=$((RANDOM + 200000))

  event setup "probe fleet $probe_fleet: $probe_sensors sensors through all three gateways"
  sim_run probe-provision "$probe_fleet" "$probe_sensors" "$(gateways 1 2 3)" --rate 1 --ramp 0s --duration 1s \
    || die "provisioning the probe fleet failed (console $rep/probe-provision.log)"

  event load "load: fleet $load_fleet, $sensors sensors, $rate requests/s for $duration over the three gateways, 5% adversarial of every kind"
  JAVA_OPTS="${NETLAB_SIM_JAVA_OPTS:--Xmx768m}" start_bg sim "$var" bash -c '"$@"; echo "EXIT $?"' sim "$(sim_bin)" run -g "$(gateways 1 2 3)" \
    --transport-key "$var/keys/ktrans.mctk" --transport-key-password-file "$var/keys/ktrans.pw" \
    --operator-token-file "$var/keys/operator.token" --fleet-seed "$load_fleet" --sensors "$sensors" \
    --rate "$rate" --ramp 5s --duration "$duration" --adversarial all --adversarial-share 0.05 \
    --timeout 5s --max-failure-ratio 1 --report-dir "$rep/load"
  local sim_pid; sim_pid="$(cat "$var/sim.pid")"
  local ok=0
  for _ in $(seq 1 600); do
    grep -qs '^running ' "$var/sim.log" && { ok=1; break; }
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.5
  done
  [ "$ok" = 1 ] || { cp "$var/sim.log" "$rep/load.log" 2>/dev/null || true; die "the load did not start (console $rep/load.log)"; }
  local load_started; load_started="$(date +%s.%N)"
  event load "load running; $kind of host $h in 20 s"
  sleep 20

  fault_at="$(date +%s.%N)"
  local fault_in_load; fault_in_load="$(awk -v a="$fault_at" -v b="$load_started" 'BEGIN { printf "%.1f", a - b }')"
  local t_down="" t_served="" t_rejoin="" t_ready=""
  if [ "$kind" = partition ]; then
    net_cut "$h"
    event fault "host $h cut off: links $(lab_link "$h") and $(lab_clink "$h") down"
    if wait_members 2 180 "${majority[@]}"; then
      t_down="$(now)"; event down "majority (nodes ${majority[*]}) counts 2 members Up, none unreachable: node $h downed"
      check minority-downed ok "in ${t_down} s (split brain resolver, stable-after 20s)"
    else
      check minority-downed failed "nodes ${majority[*]} still saw: $(members "${majority[0]}") / $(members "${majority[1]}") after 180 s"
    fi
    probe probe-majority "$probe_fleet" "$probe_sensors" "${majority[@]}"
    t_served="$(now)"; event served "probe fleet re-imported and woken through the majority"
    if node_alive "$h"; then
      event minority "node $h's process still runs after being downed: stopping it"
      stop_pidfile "$(hostdir "$h")/node.pid"
    else
      event minority "node $h's process had exited (downed by the split brain resolver)"
    fi
    net_heal "$h"
    event heal "links $(lab_link "$h") and $(lab_clink "$h") up"
  else
    local victim; victim="$(cat "$(hostdir "$h")/node.pid")"
    kill -KILL "$victim"
    for _ in $(seq 1 40); do kill -0 "$victim" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$victim" 2>/dev/null && die "node $h (pid $victim) survived SIGKILL"
    event fault "node $h (pid $victim) SIGKILLed"
  fi
  node_start "$h"
  event restart "node $h restarting"
  if ( node_wait "$h" 240 ); then
    t_ready="$(now)"; event ready "node $h ready"
    check restarted-node-ready ok "${t_ready} s after the fault"
  else
    check restarted-node-ready failed "node $h not ready within 240 s"
  fi
  if wait_members 3 180 1 2 3; then
    t_rejoin="$(now)"; event rejoin "all three nodes count 3 members Up, none unreachable"
    check rejoined ok "node $h back in the cluster ${t_rejoin} s after the fault"
  else
    check rejoined failed "members after 180 s: $(members 1) / $(members 2) / $(members 3)"
  fi
  [ "$kind" = kill ] && probe probe-all "$probe_fleet" "$probe_sensors" 1 2 3

  local load_rc=0 limit
  limit=$(( ${duration%s} + 300 ))
  for _ in $(seq 1 "$limit"); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$sim_pid" 2>/dev/null; then
    check load-ended failed "the load still ran $limit s after its start"; stop_pidfile "$var/sim.pid"
  fi
  cp "$var/sim.log" "$rep/load.log"
  load_rc="$(sed -n 's/^EXIT \([0-9]*\)$/\1/p' "$var/sim.log" | tail -1)"
  event load "load ended"
  if [ -f "$rep/load/report.json" ]; then
    load_checks "$rep/load/report.json"
  else
    check load-no-bad-accepted failed "the load wrote no report (console $rep/load.log)"
  fi
  event load "the simulator's exit status: ${load_rc:-unknown} (0 passed, 1 wrong outcome, 4 too many requests without a verdict: expected while a gateway is cut off)"
  probe final "$load_fleet" "$sensors" 1 2 3

  drill_report "$kind" "$h" "$started" "$fault_in_load" "${t_down:-null}" "${t_served:-null}" "${t_ready:-null}" "${t_rejoin:-null}"
  if grep -q $'\tfailed\t' "$rep/checks.tsv"; then
    echo "DRILL $kind FAILED: report $rep/report.json, $rep/report.html" >&2
    exit 1
  fi
  say "DRILL $kind PASSED: report $rep/report.json, $rep/report.html"
}

# load_checks REPORT: the safety check of the load (no bad item accepted: no replayed, forged,
# revoked, unknown, skewed, expired or malformed certificate; no wrong plaintext) and the good items
# rejected. The simulator counts both as wrong outcomes; here they are told apart: a good
# certificate refused REPLAY_WINDOW_RESET right after its sensor moved to another node is the
# documented, safe answer (docs/http-api.md: the center cannot prove it unused), any other refusal
# of a good item fails the drill.
load_checks() {
  local r="$1" bad mismatch good_rejected other
  bad="$(jq '[.outcomes[] | select(.expected == "reject") | .accepted] | add' "$r")"
  mismatch="$(jq '[.outcomes[] | select(.expected == "accept") | .wrong - .rejected] | add' "$r")"
  if [ "$bad" = 0 ] && [ "$mismatch" = 0 ]; then
    check load-no-bad-accepted ok "0 of $(jq '[.outcomes[] | select(.expected == "reject") | .items] | add' "$r") bad items accepted (replays of accepted certificates included), 0 wrong plaintexts"
  else
    check load-no-bad-accepted failed "$bad bad items accepted, $mismatch wrong plaintexts (load console $rep/load.log)"
  fi
  good_rejected="$(jq -c '[.outcomes[] | select(.expected == "accept") | .rejectedByReason | to_entries[]] | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | from_entries' "$r")"
  other="$(jq '[to_entries[] | select(.key != "REPLAY_WINDOW_RESET") | .value] | add // 0' <<<"$good_rejected")"
  if [ "$other" = 0 ]; then
    check load-good-rejected-only-after-move ok "good items rejected: $good_rejected (REPLAY_WINDOW_RESET: sensor just moved, documented)"
  else
    check load-good-rejected-only-after-move failed "good items rejected: $good_rejected"
  fi
}

# drill_report KIND HOST STARTED FAULT_IN_LOAD T_DOWN T_SERVED T_READY T_REJOIN: report.json and report.html in $rep
drill_report() {
  local load='null'
  [ -f "$rep/load/report.json" ] && load="$(jq --argjson f "$4" '{
      requests: .summary.requests, items: .summary.items, wrongOutcomes: .summary.wrongOutcomes,
      failures: .summary.failures, unanswered: .summary.unanswered, passedBySimulator: .passed, problems: .problems,
      latencyGoodMs: {p50: .summary.good.p50Ms, p99: .summary.good.p99Ms, max: .summary.good.maxMs},
      outcomesByKind: (.outcomes | map({key: .kind, value: {items, accepted, rejected, failed, wrong, rejectedByReason, failedByError}}) | from_entries),
      errorsByKind: (reduce (.outcomes[].failedByError | to_entries[]) as $e ({}; .[$e.key] += $e.value)),
      faultAtLoadSecond: $f,
      failingSeconds: ([.timeline[] | select(.failures > 0) | .t - $f] | if length == 0 then null else {first: (min * 10 | round / 10), last: (max * 10 | round / 10), count: length} end)
    }' "$rep/load/report.json")"
  jq -n --arg kind "$1" --argjson host "$2" --arg started "$3" --argjson load "$load" \
    --argjson down "$5" --argjson served "$6" --argjson ready "$7" --argjson rejoin "$8" \
    --arg command "ops/bin/netlab drill $1 --host $2" \
    --rawfile checks "$rep/checks.tsv" --rawfile events "$rep/events.tsv" '{
      drill: $kind, host: $host, startedAt: $started, command: $command,
      passed: ($checks | split("\n") | map(select(length > 0) | split("\t")) | all(.[1] == "ok")),
      checks: ($checks | split("\n") | map(select(length > 0) | split("\t") | {name: .[0], ok: (.[1] == "ok"), detail: .[2]})),
      secondsAfterFault: {minorityDowned: $down, majorityServedEverySensor: $served, restartedNodeReady: $ready, rejoined: $rejoin},
      events: ($events | split("\n") | map(select(length > 0) | split("\t") | {t: (.[0] | tonumber), event: .[1], detail: .[2]})),
      load: $load
    }' > "$rep/report.json"
  jq -r '
    def esc: tostring | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;");
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>netlab drill \(.drill)</title>",
    "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.ok{color:#070}.bad{color:#b00}</style></head><body>",
    "<h1>netlab drill \(.drill) (host \(.host)): <span class=\"\(if .passed then "ok" else "bad" end)\">\(if .passed then "PASSED" else "FAILED" end)</span></h1>",
    "<p>started \(.startedAt) &middot; <code>\(.command | esc)</code></p>",
    "<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>",
    (.checks[] | "<tr><td>\(.name)</td><td class=\"\(if .ok then "ok" else "bad" end)\">\(if .ok then "ok" else "FAILED" end)</td><td>\(.detail | esc)</td></tr>"),
    "</table><h2>Timeline (seconds after the fault)</h2><table><tr><th>t</th><th>event</th><th>detail</th></tr>",
    (.events[] | "<tr><td>\(.t)</td><td>\(.event)</td><td>\(.detail | esc)</td></tr>"),
    "</table>",
    (if .load == null then "<p>no load report</p>" else
      (.load | "<h2>Load</h2><p>\(.requests) requests, \(.items) items, \(.wrongOutcomes) wrong outcomes, \(.failures) without a verdict, \(.unanswered) unanswered; good-traffic latency p50 \(.latencyGoodMs.p50) ms, p99 \(.latencyGoodMs.p99) ms; seconds with failures after the fault: \(.failingSeconds | esc)</p>",
       "<table><tr><th>kind</th><th>items</th><th>accepted</th><th>rejected</th><th>no verdict</th><th>wrong</th><th>rejections</th><th>errors</th></tr>",
       (.outcomesByKind | to_entries[] | "<tr><td>\(.key)</td><td>\(.value.items)</td><td>\(.value.accepted)</td><td>\(.value.rejected)</td><td>\(.value.failed)</td><td>\(.value.wrong)</td><td>\(.value.rejectedByReason | esc)</td><td>\(.value.failedByError | esc)</td></tr>"),
       "</table>") end),
    "</body></html>"' "$rep/report.json" > "$rep/report.html"
}
