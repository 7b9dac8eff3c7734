#!/usr/bin/env bash
# cli.sh: `intransit version`; `intransit check` on a good policy (exit 0) and on a policy
# with several errors (exit 1, every error at once as file:line:col: key.path: message, at the
# right lines); `intransit run` refusing to start (exit 1, the reason, never listening) on a
# missing certificate file, a key file of mode 0644, an RSA-1024 certificate, a bad policy and
# a port already in use.
. "$(dirname "$0")/lib.sh"

read -r P_HTTPS P_BE P_BUSY <<<"$(free_ports 3)"
gen_cert good ec localhost 127.0.0.1
gen_cert weak rsa1024 localhost
gen_cert open ec localhost
chmod 644 "$T/open.key"

# write_policy FILE CERT KEY [HTTPS_PORT]
write_policy() {
  cat >"$1" <<EOF_POLICY
version: 1
log_level: info
workers: 1
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:${4:-$P_HTTPS}
    protocol: https
    tls:
      min_version: "1.2"
      certificates:
        - cert: $2
          key: $3
backends:
  - name: app
    address: 127.0.0.1:$P_BE
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF_POLICY
}

# ---- version ----
out=$("$INTRANSIT_BIN" version 2>&1); rc=$?
expect_eq "version exits 0" 0 "$rc"
expect_match "version prints 'intransit <semver>'" '^intransit [0-9]+\.[0-9]+\.[0-9]+' "$out"

# ---- check: good policy ----
write_policy "$T/good.yaml" "$T/good.crt" "$T/good.key"
out=$("$INTRANSIT_BIN" check "$T/good.yaml" --state-dir "$T/state" 2>&1); rc=$?
expect_eq "check good.yaml exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/    /'
if port_listening "$P_HTTPS"; then fail "check starts nothing" "port $P_HTTPS listening after check"; else pass "check starts nothing"; fi

# ---- check: several errors at once ----
BAD=$T/bad.yaml
cat >"$BAD" <<EOF_BAD
version: 1
log_level: info
workers: 1
listeners:
  - name: https
    address: 127.0.0.1:$P_HTTPS
    protocol: https
    tls:
      min_version: "1.0"
      max_version: "1.3"
      certificates:
        - cert: $T/good.crt
          key: $T/good.key
backends:
  - name: app
    address: 127.0.0.1:$P_BE
    conect_timeout_ms: 5000
log_level: debug
routes:
  - host: "*"
    path_prefix: /
    backend: nosuchbackend
EOF_BAD
# line_of TEXT [NTH]: line number of the NTH (default 1st) line containing TEXT.
line_of() { grep -nF -- "$1" "$BAD" | sed -n "${2:-1}p" | cut -d: -f1; }
# col_of LINE TEXT: 1-based column of TEXT on LINE.
col_of() { sed -n "${1}p" "$BAD" | awk -v w="$2" '{print index($0, w)}'; }
L_MIN=$(line_of 'min_version: "1.0"')
L_TYPO=$(line_of 'conect_timeout_ms')
L_DUP=$(line_of 'log_level:' 2)
L_DUP1=$(line_of 'log_level:' 1)
L_BE=$(line_of 'backend: nosuchbackend')

errf=$T/check.err
"$INTRANSIT_BIN" check "$BAD" --state-dir "$T/state" >"$T/check.out" 2>"$errf"; rc=$?
expect_eq "check bad.yaml exits 1" 1 "$rc"
errs=$(cat "$errf")
echo "$errs" | sed 's/^/    stderr| /'
nlines=$(grep -cE "^$BAD:[0-9]+:[0-9]+: " "$errf")
if [ "$nlines" -ge 4 ]; then pass "all errors reported at once ($nlines >= 4 file:line:col lines)"; else
  fail "all errors reported at once" "expected >= 4 lines '$BAD:L:C: ...', got $nlines"; fi
# (a closing summary such as "bad.yaml: 4 errors" is not an error line)
bad_fmt=$(grep -E "^$BAD:[0-9]" "$errf" | grep -vE "^$BAD:[0-9]+:[0-9]+: [^ :]+: .+")
expect_eq "each error is 'file:line:col: key.path: message'" "" "$bad_fmt"

# expect_err DESC LINE PATH_SUBSTR MSG_ERE [COLS...]: an error line at LINE whose key path
# contains PATH_SUBSTR and whose text matches MSG_ERE; its column one of COLS when given.
expect_err() {
  local desc=$1 line=$2 path=$3 msg=$4; shift 4
  local hits; hits=$(grep -E "^$BAD:$line:[0-9]+: " "$errf" | grep -F -- "$path" | grep -Ei -- "$msg")
  if [ -z "$hits" ]; then
    fail "$desc" "expected an error at $BAD:$line with key path containing '$path' and text /$msg/i"$'\n'"got:"$'\n'"$errs"
    return
  fi
  if [ $# -gt 0 ]; then
    local col c okc=0; col=$(echo "$hits" | head -1 | sed "s|^$BAD:$line:||" | cut -d: -f1)
    for c in "$@"; do [ "$col" = "$c" ] && okc=1; done
    if [ $okc = 0 ]; then fail "$desc" "column $col, expected one of: $*"$'\n'"$hits"; return; fi
  fi
  pass "$desc"
}
expect_err "min_version \"1.0\" refused at line $L_MIN" "$L_MIN" "min_version" '1\.0' \
  "$(col_of "$L_MIN" min_version)" "$(col_of "$L_MIN" '"1.0"')"
expect_err "typo 'conect_timeout_ms' reported at line $L_TYPO with a hint" "$L_TYPO" \
  "conect_timeout_ms" "connect_timeout_ms" "$(col_of "$L_TYPO" conect_timeout_ms)"
expect_err "duplicate key log_level reported at line $L_DUP (first at $L_DUP1)" "$L_DUP" \
  "log_level" "duplicate|twice|already|more than once" "$(col_of "$L_DUP" log_level)"
expect_err "route to missing backend reported at line $L_BE" "$L_BE" "backend" "nosuchbackend" \
  "$(col_of "$L_BE" backend:)" "$(col_of "$L_BE" nosuchbackend)"
if grep -qE "^$BAD:[0-9]" "$T/check.out"; then
  fail "errors go to stderr, not stdout" "$(cat "$T/check.out")"; else pass "errors go to stderr, not stdout"; fi

# ---- run: startup failures ----
# run_must_fail DESC POLICY MSG_ERE [WATCH_PORT]: `run` exits 1 within 10 s, its output matches
# MSG_ERE, and WATCH_PORT (when given) never listened nor accepted meanwhile.
run_must_fail() {
  local desc=$1 policy=$2 msg=$3 port=${4:-} log listened=0 i rc
  log=$(mktemp "$T/run.XXXXXX")
  "$INTRANSIT_BIN" run --policy "$policy" --state-dir "$T/state" >"$log" 2>&1 </dev/null &
  local pid=$!; track "$pid"
  for i in $(seq 1 1000); do
    kill -0 "$pid" 2>/dev/null || break
    if [ -n "$port" ] && { port_listening "$port" || port_accepts "$port"; }; then listened=1; fi
    sleep 0.01
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; wait "$pid" 2>/dev/null
    fail "$desc: exits" "still running after 10 s; output:"$'\n'"$(cat "$log")"; return
  fi
  wait "$pid"; rc=$?
  expect_eq "$desc: exit code 1" 1 "$rc"
  expect_imatch "$desc: says why" "$msg" "$(cat "$log")"
  if [ -n "$port" ]; then
    expect_eq "$desc: port $port never listened/accepted" 0 "$listened"
  fi
  head -5 "$log" | cut -c1-300 | sed 's/^/    output| /'
}

write_policy "$T/missing.yaml" "$T/nonexistent.crt" "$T/good.key"
run_must_fail "missing cert file" "$T/missing.yaml" \
  'nonexistent\.crt.*(no such file|not found|does not exist|cannot|could not|unable)|(no such file|not found|does not exist).*nonexistent\.crt' "$P_HTTPS"

write_policy "$T/openkey.yaml" "$T/open.crt" "$T/open.key"
run_must_fail "key file mode 0644" "$T/openkey.yaml" '(0?644|mode|permission|group|other|readable)' "$P_HTTPS"

write_policy "$T/weak.yaml" "$T/weak.crt" "$T/weak.key"
run_must_fail "RSA-1024 certificate" "$T/weak.yaml" '(1024|2048|too (small|short|weak))' "$P_HTTPS"

run_must_fail "run with a bad policy" "$BAD" 'min_version' "$P_HTTPS"

# Port in use: something else already listens on the https port.
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5); time.sleep(60)' "$P_BUSY" &
blocker=$!; track "$blocker"
wait_port "$P_BUSY" 5 "$blocker" || fail "test blocker listens on $P_BUSY"
write_policy "$T/busy.yaml" "$T/good.crt" "$T/good.key" "$P_BUSY"
run_must_fail "https port already in use" "$T/busy.yaml" '(in use|EADDRINUSE|bind)'
kill "$blocker" 2>/dev/null

# The good policy really starts, so the failures above are about the faults, not the fixture.
gw_start "$T/good.yaml"
if wait_port "$P_HTTPS" 15 "$GW_PID"; then pass "run good.yaml serves on $P_HTTPS"; else
  fail "run good.yaml serves on $P_HTTPS" "$(tail -20 "$GW_LOG")"; fi

# A second gateway on a port the first one serves is "port in use" too: it must not join the
# first through SO_REUSEPORT (the kernel would then split new connections between the two).
run_must_fail "https port already served by another intransit" "$T/good.yaml" '(in use|EADDRINUSE|bind)'
gw_alive && pass "the first gateway is still serving" || fail "the first gateway is still serving"
gw_stop
finish
