# The stack helpers of ops/bin/demo, ops/bin/local-cluster, ops/bin/scale-run and ops/bin/bench
# (sourced, not run): build, key ceremony, operator token, Cassandra and node processes on
# loopback, readiness waits. Every process started is recorded so that the caller's trap can stop
# exactly those.
# shellcheck shell=bash
# shellcheck source=launcher.sh
source "$(dirname "${BASH_SOURCE[0]}")/launcher.sh"

sim="$root/simulator/bin/microcert-sim"

# Builds what the scripts run: the node (cluster and what it needs), the simulator, the ops tools.
build_all() {
  say "building (mvn -pl cluster,simulator,ops -am test-compile)"
  mc_build cluster simulator ops
}

# make_secret FILE: a random password/token in FILE (mode 600), kept if it already exists.
make_secret() {
  [ -s "$1" ] && return 0
  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$1")
}

# ensure_keys DIR: a throwaway center made by the key ceremony in DIR (unless already there):
# master keystore, one software card, the factory export of K_trans, an operator token and the
# node's tokens file. Passwords live in DIR (mode 600): a demo/dev set-up, not a production one.
ensure_keys() {
  local d="$1"
  mkdir -p "$d"; chmod 700 "$d"
  make_secret "$d/master.pw"; make_secret "$d/card.pw"; make_secret "$d/ktrans.pw"; make_secret "$d/operator.token"
  if [ ! -f "$d/master.bcfks" ]; then
    say "key ceremony: throwaway master keystore, card and K_trans export in $d"
    MC_MASTER_PW="$(cat "$d/master.pw")" MC_CARD_PW="$(cat "$d/card.pw")" MC_KTRANS_PW="$(cat "$d/ktrans.pw")" bash -c '
      set -e
      "$0/ops/bin/key-ceremony" create --master "$1/master.bcfks" --password-env MC_MASTER_PW >/dev/null
      "$0/ops/bin/key-ceremony" distribute --master "$1/master.bcfks" --password-env MC_MASTER_PW \
          --software "$1/card.bcfks" --password-env MC_CARD_PW >/dev/null
      "$0/ops/bin/key-ceremony" export-transport --master "$1/master.bcfks" --password-env MC_MASTER_PW \
          --out "$1/ktrans.mctk" --password-env MC_KTRANS_PW >/dev/null' "$root" "$d" \
      || { rm -f "$d/master.bcfks" "$d/card.bcfks" "$d/ktrans.mctk"; die "the key ceremony failed"; }
  fi
  if [ ! -f "$d/tokens" ]; then
    (umask 077; printf '%s operator simulator\n' "$(tr -d '\n' < "$d/operator.token" | sha256sum | cut -d' ' -f1)" > "$d/tokens")
  fi
}

# ensure_token DIR: the keys ensure_keys made in DIR, also on a SoftHSM2 token (the node on a
# PKCS#11 card, docs/encryption-card.md): SoftHSM2's configuration and token directory in
# DIR/softhsm (exported as SOFTHSM2_CONF), a token "microcert-demo" with a random PIN in
# DIR/token.pin, the card's properties in DIR/token.properties, the keys put on it by the key
# ceremony's distribute (which adds only what the token lacks). Sets node_card_args for start_node
# and exports MC_TOKEN_PIN, the variable they name.
ensure_token() {
  local d="$1" slot
  command -v softhsm2-util >/dev/null || die "SoftHSM2 is needed for the token card (apt-get install -y softhsm2)"
  mkdir -p "$d/softhsm/tokens"
  export SOFTHSM2_CONF="$d/softhsm/softhsm2.conf"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$d/softhsm/tokens" > "$SOFTHSM2_CONF"
  make_secret "$d/token.pin"; make_secret "$d/token.so-pin"
  MC_TOKEN_PIN="$(cat "$d/token.pin")"; export MC_TOKEN_PIN
  if [ ! -f "$d/token.properties" ]; then
    say "SoftHSM2: token microcert-demo in $d/softhsm"
    slot="$(softhsm2-util --init-token --free --label microcert-demo --pin "$MC_TOKEN_PIN" \
        --so-pin "$(cat "$d/token.so-pin")" | sed -n 's/.*reassigned to slot \([0-9]*\).*/\1/p')"
    [ -n "$slot" ] || die "softhsm2-util did not initialise a token"
    printf 'library = /usr/lib/softhsm/libsofthsm2.so\nslot = %s\n' "$slot" > "$d/token.properties"
  fi
  MC_MASTER_PW="$(cat "$d/master.pw")" "$root/ops/bin/key-ceremony" distribute --master "$d/master.bcfks" \
      --password-env MC_MASTER_PW --pkcs11 "$d/token.properties" --pin-env MC_TOKEN_PIN >/dev/null \
    || die "the key ceremony could not put the keys on the token"
  node_card_args=(--pkcs11 "$d/token.properties" --pin-env MC_TOKEN_PIN)
}

# start_cassandra DIR CQL_PORT STORAGE_PORT JMX_PORT: starts one unless one already runs in DIR.
# Sets cassandra_started=1 when this call starts it (or tries to: see below).
cassandra_started=0
start_cassandra() {
  local d="$1" cql="$2" storage="$3" jmx="$4" status
  # with its CQL port: status alone checks 9042, and the demo's and bench's Cassandras use others
  if status="$("$root/ops/bin/cassandra" status --dir "$d" --cql-port "$cql" 2>&1)"; then
    say "Cassandra already running in $d (CQL $cql): reusing it"
    return 0
  fi
  case "$status" in
    # someone else's, still starting (or hung): neither reuse it nor take it over (and stop it later)
    "Cassandra is running"*) die "Cassandra in $d runs but its CQL does not answer: $status" ;;
  esac
  say "starting Cassandra 5 (CQL 127.0.0.1:$cql, data in $d)"
  # Set before the start, not after: bash runs a TERM trap only once the start has returned, and
  # the trap's exit then came before this line, so the caller's cleanup left Cassandra running.
  # stop_cassandra copes with a Cassandra that did not come up.
  cassandra_started=1
  "$root/ops/bin/cassandra" start --dir "$d" --cql-port "$cql" --storage-port "$storage" --jmx-port "$jmx" --heap 1g \
    || die "Cassandra did not start (log: $d)"
}

# stop_cassandra DIR: stops the Cassandra of DIR; nothing to stop (never started, or the start
# failed: it leaves nothing running) is fine.
stop_cassandra() {
  "$root/ops/bin/cassandra" stop --dir "$1" >/dev/null 2>&1 || true
}

# start_node NAME LOG_DIR HTTP_PORT ARGS...: starts ops/bin/node in the background, records its pid
# in LOG_DIR/NAME.pid, waits until /health/ready answers 200 (or the process dies).
start_node() {
  local name="$1" dir="$2" port="$3"; shift 3
  say "starting node $name (HTTP 127.0.0.1:$port, log $dir/$name.log)"
  # own session: stop_pidfile signals the whole group (the script and the JVM it starts)
  setsid nohup "$root/ops/bin/node" --http-port "$port" "$@" > "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
  wait_ready "$name" "$dir" "$port" 240
}

# wait_ready NAME DIR PORT SECONDS
wait_ready() {
  local name="$1" dir="$2" port="$3" limit="$4" pid
  pid="$(cat "$dir/$name.pid")"
  for _ in $(seq 1 "$limit"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$dir/$name.log" >&2
      die "node $name exited during start-up (log: $dir/$name.log)"
    fi
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  die "node $name was not ready after $limit s (log: $dir/$name.log)"
}

# start_bg NAME DIR COMMAND...: any other background process, in its own session, pid in DIR/NAME.pid.
start_bg() {
  local name="$1" dir="$2"; shift 2
  setsid nohup "$@" > "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

# stop_pidfile FILE: TERM, then KILL after 20 s, the process group recorded in FILE (if alive).
stop_pidfile() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
