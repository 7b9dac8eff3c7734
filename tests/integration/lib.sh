# Shared pieces of the integration tests. Source it first thing:
#
#   . "$(dirname "$0")/lib.sh"
#
# It gives each test a temp dir ($T, removed on exit), a trap that stops every process the
# test started (by PID), pass/fail bookkeeping with one summary line, free ports, test
# certificates made with the openssl tool, and start/stop of the gateway and backend.py.
#
# Environment: INTRANSIT_BIN (required) the binary under test; IT_KEEP=1 keeps $T (logs,
# policies, certificates); IT_TIMEOUT (default 120) the watchdog in seconds. Run one test by
# hand with e.g.  INTRANSIT_BIN=build/gateway/intransit bash tests/integration/proxy.sh
# or all of them with  ctest -L integration --output-on-failure  in the build directory.
set -u -o pipefail

IT_NAME=$(basename "$0" .sh)
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${INTRANSIT_BIN:-}" ] || [ ! -x "${INTRANSIT_BIN}" ]; then
  echo "INTEGRATION $IT_NAME FAIL: INTRANSIT_BIN='${INTRANSIT_BIN:-}' is not an executable"
  exit 1
fi
PY=${PYTHON:-python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/it-$IT_NAME.XXXXXX")
chmod 700 "$T"
IT_PIDS=()       # every background process we started
IT_FAILS=()      # descriptions of failed checks
IT_CHECKS=0
GW_PID=""
GW_LOG="$T/gateway.log"
BE_PID=""
BE_LOG="$T/backend.jsonl"

it_cleanup() {
  local pid
  for pid in "${IT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 30); do
    local alive=0
    for pid in "${IT_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${IT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${IT_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap it_cleanup EXIT
it_interrupted() {
  echo "INTEGRATION $IT_NAME FAIL interrupted after $IT_CHECKS checks (${#IT_FAILS[@]} failed so far)"
  [ -s "$GW_LOG" ] && { echo "---- last lines of the gateway log"; tail -n 20 "$GW_LOG" | cut -c1-400; }
  exit 130
}
trap it_interrupted INT TERM
# Watchdog: if the test runs past IT_TIMEOUT seconds, SIGTERM ourselves so the EXIT trap still
# stops every process we started (ctest's own timeout is set above this one).
if [ "${IT_TIMEOUT:-120}" -gt 0 ]; then
  (
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "${IT_TIMEOUT:-120}" & sp=$!
    wait "$sp" || exit 0
    echo "INTEGRATION $IT_NAME watchdog: still running after ${IT_TIMEOUT:-120} s, stopping" >&2
    kill -TERM $$
  ) </dev/null >/dev/null &
  IT_PIDS+=("$!")
fi

# track PID: remember a background process so the exit trap stops it.
track() { IT_PIDS+=("$1"); }

# ---- checks -------------------------------------------------------------------------------
# pass DESC / fail DESC [DETAILS]: record one check.
pass() { IT_CHECKS=$((IT_CHECKS + 1)); echo "  ok   $1"; }
fail() {
  IT_CHECKS=$((IT_CHECKS + 1)); IT_FAILS+=("$1")
  echo "  FAIL $1"
  [ $# -ge 2 ] && [ -n "$2" ] && printf '%s\n' "$2" | head -40 | sed 's/^/         | /'
  return 0
}
# expect_eq DESC EXPECTED OBSERVED
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2"$'\n'"observed: $3"; fi
}
# expect_match DESC ERE TEXT   (grep -E, case-sensitive)
expect_match() {
  if printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"; else
    fail "$1" "expected to match /$2/, observed:"$'\n'"$(printf '%s' "$3" | head -c 3000)"
  fi
}
expect_imatch() {
  if printf '%s' "$3" | grep -Eiq -- "$2"; then pass "$1"; else
    fail "$1" "expected to match /$2/i, observed:"$'\n'"$(printf '%s' "$3" | head -c 3000)"
  fi
}
expect_nomatch() {
  if printf '%s' "$3" | grep -Eiq -- "$2"; then
    fail "$1" "expected NOT to match /$2/i, observed:"$'\n'"$(printf '%s' "$3" | grep -Ei -- "$2" | head -20)"
  else pass "$1"; fi
}
# expect_true DESC CMD...: passes when CMD exits 0.
expect_true() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d" "command failed: $*"; fi; }

# finish: print the summary line and exit 0 (all passed) or 1. On failure, show the end of
# the gateway log, which ctest --output-on-failure then prints.
finish() {
  local n=${#IT_FAILS[@]} extra=${1:-}
  if [ "$n" -gt 0 ] && [ -s "$GW_LOG" ]; then
    echo "---- last lines of the gateway log ($GW_LOG)"; tail -n 40 "$GW_LOG" | cut -c1-400
  fi
  if [ "$n" -eq 0 ]; then
    echo "INTEGRATION $IT_NAME PASS checks=$IT_CHECKS${extra:+ $extra}"; exit 0
  fi
  local list; list=$(printf '%s; ' "${IT_FAILS[@]}")
  echo "INTEGRATION $IT_NAME FAIL checks=$IT_CHECKS failed=$n${extra:+ $extra}: ${list%; }"
  exit 1
}

# ---- ports --------------------------------------------------------------------------------
# free_ports N: print N distinct loopback TCP ports that are free now, in 20000-31999 (below
# the ephemeral range, so our own client connections cannot take them).
free_ports() {
  "$PY" - "$1" <<'PY'
import random, socket, sys
n, got, socks = int(sys.argv[1]), [], []
while len(got) < n:
    p = random.randint(20000, 31999)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close(); continue
    socks.append(s); got.append(p)
print(" ".join(map(str, got)))
PY
}

# port_accepts PORT: true if a TCP connect to 127.0.0.1:PORT succeeds now.
port_accepts() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
# port_listening PORT: true if some socket listens on 127.0.0.1:PORT (ss; no connection made).
port_listening() {
  [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]
}

# wait_port PORT [SECONDS] [PID]: wait until PORT accepts; false if PID exits or time runs out.
wait_port() {
  local port=$1 secs=${2:-10} pid=${3:-} i
  for i in $(seq 1 $((secs * 20))); do
    port_listening "$port" && port_accepts "$port" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}

# ---- certificates ---------------------------------------------------------------------------
# gen_cert NAME ec|ec384|rsa2048|rsa1024 SAN...: $T/NAME.crt and $T/NAME.key (mode 0600),
# self-signed, CN = first SAN, subjectAltName DNS:/IP: for every SAN.
gen_cert() {
  local name=$1 type=$2; shift 2
  local san="" s ku
  for s in "$@"; do
    if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then san+="IP:$s,"; else san+="DNS:$s,"; fi
  done
  case $type in
    ec)      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$name.key" 2>/dev/null; ku=digitalSignature;;
    ec384)   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/$name.key" 2>/dev/null; ku=digitalSignature;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/$name.key" 2>/dev/null; ku=digitalSignature,keyEncipherment;;
    rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/$name.key" 2>/dev/null; ku=digitalSignature,keyEncipherment;;
    *) echo "gen_cert: unknown type $type" >&2; return 1;;
  esac
  chmod 600 "$T/$name.key"
  cat >"$T/$name.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3
[dn]
CN = $1
[v3]
subjectAltName = ${san%,}
basicConstraints = critical,CA:FALSE
keyUsage = critical,$ku
extendedKeyUsage = serverAuth
EOF
  OPENSSL_CONF=/dev/null openssl req -new -x509 -key "$T/$name.key" -config "$T/$name.cnf" \
    -days 30 -sha256 -out "$T/$name.crt" 2>"$T/$name.err" || { cat "$T/$name.err" >&2; return 1; }
}

# fingerprint FILE|-: SHA-256 fingerprint of a PEM certificate (from a file or stdin).
fingerprint() {
  openssl x509 -noout -fingerprint -sha256 -in "${1:-/dev/stdin}" 2>/dev/null | sed 's/.*=//'
}

# ---- gateway --------------------------------------------------------------------------------
# gw_start POLICY [EXTRA ARGS...]: start `intransit run` in the background, log to $GW_LOG
# (appended), state in $T/state. Sets GW_PID. Does not wait; use gw_wait.
gw_start() {
  local policy=$1; shift
  mkdir -p "$T/state"
  echo "==== $(date +%T.%N) start: run --policy $policy $*" >>"$GW_LOG"
  "$INTRANSIT_BIN" run --policy "$policy" --state-dir "$T/state" --log-level debug "$@" \
    </dev/null >>"$GW_LOG" 2>&1 &
  GW_PID=$!
  track "$GW_PID"
}
# gw_wait PORT...: wait until each port accepts; on failure record it and finish.
gw_wait() {
  local p
  for p in "$@"; do
    if ! wait_port "$p" 15 "$GW_PID"; then
      fail "gateway serves on port $p" "gateway pid $GW_PID did not accept on $p within 15 s (alive: $(kill -0 "$GW_PID" 2>/dev/null && echo yes || echo no))"
      finish "(gateway did not start)"
    fi
  done
}
# gw_stop [SECONDS]: SIGTERM the gateway and wait for it (then SIGKILL). Prints its exit code.
gw_stop() {
  local secs=${1:-20} i
  [ -z "$GW_PID" ] && return 0
  kill -TERM "$GW_PID" 2>/dev/null
  for i in $(seq 1 $((secs * 10))); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$GW_PID" 2>/dev/null
  wait "$GW_PID" 2>/dev/null; local rc=$?
  GW_PID=""
  return $rc
}
gw_alive() { [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; }

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---- backend.py -----------------------------------------------------------------------------
# be_start PORT: start backend.py on 127.0.0.1:PORT logging to $BE_LOG; waits until it accepts.
be_start() {
  "$PY" -u "$IT_DIR/backend.py" --port "$1" --log "$BE_LOG" </dev/null >>"$T/backend.out" 2>&1 &
  BE_PID=$!
  track "$BE_PID"
  if ! wait_port "$1" 10 "$BE_PID"; then
    fail "backend.py starts on $1" "$(cat "$T/backend.out")"
    finish "(backend did not start)"
  fi
}
# be_kill [SIGNAL]: stop backend.py by PID (default SIGTERM) and wait for it.
be_kill() {
  [ -z "$BE_PID" ] && return 0
  kill -"${1:-TERM}" "$BE_PID" 2>/dev/null
  wait "$BE_PID" 2>/dev/null
  BE_PID=""
}

# ---- policy pieces --------------------------------------------------------------------------
# tls_block CERT_NAMES...: the tls: mapping of an https listener with certificates from $T,
# indented for a listener entry. UNKNOWN_SNI and HSTS_MAX_AGE may be set by the caller.
tls_block() {
  cat <<EOF
    tls:
      min_version: "1.2"
      max_version: "1.3"
      cipher_suites: [ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384, ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-RSA-CHACHA20-POLY1305]
      groups: [X25519, P-256, P-384]
      unknown_sni: ${UNKNOWN_SNI:-default_certificate}
      hsts_max_age: ${HSTS_MAX_AGE:-31536000}
      certificates:
EOF
  local c
  for c in "$@"; do
    printf '        - cert: %s\n          key: %s\n' "$T/$c.crt" "$T/$c.key"
  done
}
# limits_block [DRAIN_MS]: a limits: mapping with test-friendly values.
limits_block() {
  cat <<EOF
limits:
  max_head_bytes: 16384
  max_header_count: 100
  head_read_timeout_ms: 10000
  idle_timeout_ms: 60000
  body_read_timeout_ms: 30000
  send_timeout_ms: 30000
  drain_timeout_ms: ${1:-15000}
  max_connections: 10000
EOF
}

# curl over TLS to the gateway, HTTP/1.1, self-signed certificates accepted.
CURL=(curl -sS -k --http1.1 --max-time 60)

# ---- openssl s_client -----------------------------------------------------------------------
# sclient OUT ARGS...: openssl s_client ARGS with stdin closed, at most 10 s; stdout and stderr
# go to the file OUT.
sclient() { local out=$1; shift; timeout 10 openssl s_client "$@" </dev/null >"$out" 2>&1; }
# hs_ok OUT: the s_client run in OUT completed a handshake (a cipher was negotiated).
hs_ok() { grep -qE '^New, [A-Za-z0-9.]+, Cipher is ' "$1" && ! grep -q 'Cipher is (NONE)' "$1"; }
# hs_written OUT: bytes s_client wrote during the handshake (0 = it never sent a ClientHello).
hs_written() { sed -nE 's/.*SSL handshake has read [0-9]+ bytes and written ([0-9]+) bytes.*/\1/p' "$1" | head -1; }
# hs_summary OUT: one line for reports (protocol, cipher, errors).
hs_summary() {
  { grep -E '^New, |^ +Protocol +:|error:|alert|Verify return code' "$1" | head -4; } | tr '\n' ' ' | cut -c1-400
}
