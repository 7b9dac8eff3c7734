#!/usr/bin/env bash
# tls_tickets.sh: session resumption across replicas and OCSP stapling, with the openssl CLI.
#
#   - two `intransit run` instances (A, B) on different ports share one ticket key file: a
#     session saved on A (`s_client -sess_out`) resumes on B (`-sess_in`), TLS 1.3 and 1.2;
#   - without the key file, B does not resume A's sessions (BoringSSL's per-process key);
#   - rotation: B restarted with [new, old] still resumes the old ticket; after a second
#     rotation ([newer, new]) the first ticket gets a full handshake; a file holding only a
#     fresh key (every old key retired) gives a full handshake too;
#   - rotation by reload: after SIGHUP, A reads the rewritten file and resumes B's tickets; a
#     reload that finds the file mode 0644 is rejected and A keeps its keys;
#   - a key file of mode 0644 is refused by `intransit check` at the key_file line;
#   - the key bytes never show in the logs;
#   - OCSP: a response made with `openssl ocsp -index ... -respout` for a CA-issued
#     certificate is stapled (`s_client -status`: "OCSP Response Status: successful",
#     "Cert Status: good"), from `ocsp_staple: FILE` on A and from "<cert>.ocsp" on B.
. "$(dirname "$0")/lib.sh"

read -r P_A P_B P_BE <<<"$(free_ports 3)"
be_start "$P_BE"
export OPENSSL_CONF=/dev/null

# ---- a test CA, a certificate it issued, and an OCSP response for it ----------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
  -out "$T/ca.crt" -subj "/CN=intransit tickets test CA" -days 30 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>"$T/ca.err" || { cat "$T/ca.err"; fail "make the test CA"; finish; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/site.key" 2>/dev/null
chmod 600 "$T/site.key"
openssl req -new -key "$T/site.key" -subj "/CN=tickets.test" -out "$T/site.csr" 2>/dev/null
cat >"$T/site.ext" <<EOF
subjectAltName = DNS:tickets.test, IP:127.0.0.1
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
authorityInfoAccess = OCSP;URI:http://127.0.0.1:20888
EOF
openssl x509 -req -in "$T/site.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
  -days 30 -sha256 -extfile "$T/site.ext" -out "$T/site.crt" 2>"$T/x509.err" ||
  { cat "$T/x509.err"; fail "issue the test certificate"; finish; }
# The CA's database: one valid certificate (V, expiry, no revocation, serial, file, subject).
serial=$(openssl x509 -in "$T/site.crt" -noout -serial | sed 's/serial=//')
enddate=$(date -u -d "$(openssl x509 -in "$T/site.crt" -noout -enddate | sed 's/notAfter=//')" +%y%m%d%H%M%SZ)
subject=$(openssl x509 -in "$T/site.crt" -noout -subject -nameopt compat | sed 's/subject=//')
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$enddate" "$serial" "$subject" >"$T/index.txt"
openssl ocsp -issuer "$T/ca.crt" -cert "$T/site.crt" -no_nonce -reqout "$T/ocsp.req" 2>"$T/ocsp.err" &&
openssl ocsp -index "$T/index.txt" -CA "$T/ca.crt" -rsigner "$T/ca.crt" -rkey "$T/ca.key" \
  -reqin "$T/ocsp.req" -respout "$T/site.der" -ndays 1 2>>"$T/ocsp.err" >"$T/ocsp.out" ||
  { cat "$T/ocsp.err"; fail "make the OCSP response with openssl ocsp"; finish; }
cp "$T/site.der" "$T/site.crt.ocsp"   # B finds it next to the certificate
resp=$(openssl ocsp -respin "$T/site.der" -resp_text -noverify 2>&1)
expect_match "openssl ocsp made a successful response" "OCSP Response Status: successful" "$resp"

# ---- ticket keys ------------------------------------------------------------------------------
newkey() { head -c 80 /dev/urandom | base64 -w0; echo; }
K1=$(newkey); K2=$(newkey); K3=$(newkey); K4=$(newkey)
# keyfile KEY...: rewrite the shared key file (current key first), mode 0600.
keyfile() {
  (umask 077; printf '# intransit ticket keys: the first encrypts, all decrypt\n' >"$T/tickets.key.new"
   printf '%s\n' "$@" >>"$T/tickets.key.new")
  mv -f "$T/tickets.key.new" "$T/tickets.key"
}

# write_policy FILE PORT OCSP_LINE [TICKETS_BLOCK]
write_policy() {
  cat >"$1" <<EOF
version: 1
log_level: debug
workers: 1
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:$2
    protocol: https
    tls:
      min_version: "1.2"
      max_version: "1.3"
${4-      session_tickets:
        key_file: $T/tickets.key
        lifetime_s: 7200}
      certificates:
        - cert: $T/site.crt
          key: $T/site.key
$3
backends:
  - name: app
    address: 127.0.0.1:$P_BE
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
}
write_policy "$T/a.yaml" "$P_A" "          ocsp_staple: $T/site.der"
write_policy "$T/b.yaml" "$P_B" ""
write_policy "$T/b-nokeys.yaml" "$P_B" "" "      session_tickets: {enabled: true}"

# start NAME POLICY PORT: start an instance; sets PID_<NAME>; waits until it accepts.
start() {
  echo "==== $(date +%T.%N) start $1: $2" >>"$GW_LOG"
  "$INTRANSIT_BIN" run --policy "$2" --state-dir "$T/state" --log-level debug \
    </dev/null >>"$GW_LOG" 2>&1 &
  local pid=$!
  track "$pid"
  printf -v "PID_$1" '%s' "$pid"
  if ! wait_port "$3" 15 "$pid"; then
    fail "instance $1 serves on $3" "$(tail -n 20 "$GW_LOG")"
    finish "(instance $1 did not start)"
  fi
}
# stop NAME: SIGTERM the instance and wait for it.
stop() {
  local var="PID_$1" i
  local pid=${!var}
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# sess OUT PORT ARGS...: one request through s_client (HTTP/1.1, Connection: close), reading
# until the server closes, so TLS 1.3 tickets sent after the handshake are received.
sess() {
  local out=$1 port=$2; shift 2
  printf 'GET /ok HTTP/1.1\r\nHost: tickets.test\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername tickets.test -ign_eof \
      "$@" >"$out" 2>&1
}
# handshake_kind OUT: "Reused", "New" or "failed".
handshake_kind() {
  if grep -qE '^Reused, TLSv1' "$1"; then echo Reused
  elif grep -qE '^New, TLSv1' "$1" && ! grep -q 'Cipher is (NONE)' "$1"; then echo New
  else echo failed; fi
}
# expect_kind DESC WANT OUT
expect_kind() {
  local got; got=$(handshake_kind "$3")
  if [ "$got" = "$2" ]; then pass "$1"; else fail "$1" "expected $2, got $got: $(hs_summary "$3")"; fi
}

keyfile "$K1"
start A "$T/a.yaml" "$P_A"
start B "$T/b.yaml" "$P_B"

# ---- cross-instance resumption ------------------------------------------------------------
for v in tls1_3 tls1_2; do
  sess "$T/$v-a.out" "$P_A" "-$v" -sess_out "$T/$v-k1.sess"
  expect_kind "$v: first handshake on A is a full one" New "$T/$v-a.out"
  expect_match "$v: the request through A answers 200" "HTTP/1.1 200" "$(cat "$T/$v-a.out")"
  if [ ! -s "$T/$v-k1.sess" ]; then fail "$v: s_client saved A's session (-sess_out)"; continue; fi
  sess "$T/$v-b.out" "$P_B" "-$v" -sess_in "$T/$v-k1.sess"
  expect_kind "$v: A's session resumes on B (shared key file)" Reused "$T/$v-b.out"
  expect_match "$v: the resumed request through B answers 200" "HTTP/1.1 200" "$(cat "$T/$v-b.out")"
done

# ---- OCSP stapling ------------------------------------------------------------------------
for inst in A B; do
  port=$P_A; [ $inst = B ] && port=$P_B
  for v in tls1_3 tls1_2; do
    sess "$T/ocsp-$inst-$v.out" "$port" "-$v" -status
    out=$(cat "$T/ocsp-$inst-$v.out")
    expect_match "OCSP $inst $v: s_client -status shows OCSP Response Status: successful" \
      "OCSP Response Status: successful" "$out"
    expect_match "OCSP $inst $v: Cert Status: good" "Cert Status: good" "$out"
  done
done
sess "$T/ocsp-none.out" "$P_A" -tls1_3
expect_nomatch "no -status: no OCSP response printed" "OCSP Response Data" "$(cat "$T/ocsp-none.out")"

# ---- no key file on B: no cross-instance resumption ---------------------------------------
stop B
start B "$T/b-nokeys.yaml" "$P_B"
sess "$T/nokeys.out" "$P_B" -tls1_3 -sess_in "$T/tls1_3-k1.sess"
expect_kind "B without the key file: A's ticket gets a full handshake" New "$T/nokeys.out"

# ---- rotation ------------------------------------------------------------------------------
# First rotation: K2 encrypts, K1 still decrypts.
keyfile "$K2" "$K1"
stop B
start B "$T/b.yaml" "$P_B"
for v in tls1_3 tls1_2; do
  sess "$T/rot1-$v.out" "$P_B" "-$v" -sess_in "$T/$v-k1.sess"
  expect_kind "$v: after one rotation, the K1 ticket still resumes on B" Reused "$T/rot1-$v.out"
  sess "$T/rot1-new-$v.out" "$P_B" "-$v" -sess_out "$T/$v-k2.sess"
done
# Second rotation: K3 encrypts, K2 decrypts, K1 is gone.
keyfile "$K3" "$K2"
stop B
start B "$T/b.yaml" "$P_B"
for v in tls1_3 tls1_2; do
  sess "$T/rot2-$v.out" "$P_B" "-$v" -sess_in "$T/$v-k1.sess"
  expect_kind "$v: after two rotations, the K1 ticket gets a full handshake" New "$T/rot2-$v.out"
  expect_match "$v: ... and the request still answers 200" "HTTP/1.1 200" "$(cat "$T/rot2-$v.out")"
  sess "$T/rot2-k2-$v.out" "$P_B" "-$v" -sess_in "$T/$v-k2.sess"
  expect_kind "$v: the K2 ticket still resumes" Reused "$T/rot2-k2-$v.out"
done
# Retire every old key: a file holding only a new key.
keyfile "$K4"
stop B
start B "$T/b.yaml" "$P_B"
for v in tls1_3 tls1_2; do
  sess "$T/ret-$v.out" "$P_B" "-$v" -sess_in "$T/$v-k2.sess"
  expect_kind "$v: key retired (file holds a new key only): full handshake" New "$T/ret-$v.out"
  sess "$T/ret-new-$v.out" "$P_B" "-$v" -sess_out "$T/$v-k4.sess"
  sess "$T/ret-again-$v.out" "$P_B" "-$v" -sess_in "$T/$v-k4.sess"
  expect_kind "$v: a ticket under the new key resumes" Reused "$T/ret-again-$v.out"
done
# A still runs with the K1-only file it read at start: B's K4 tickets are foreign to it.
sess "$T/a-foreign.out" "$P_A" -tls1_3 -sess_in "$T/tls1_3-k4.sess"
expect_kind "A (still on K1) does not resume B's K4 ticket" New "$T/a-foreign.out"

# ---- rotation by reload: SIGHUP makes A read the key file again ------------------------------
# wait_log ERE N: wait until the gateway log has at least N lines matching ERE.
wait_log() {
  local i
  for i in $(seq 1 100); do
    [ "$(grep -cE -- "$1" "$GW_LOG")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
n=$(grep -cE 'gateway reloaded ' "$GW_LOG")
kill -HUP "$PID_A"
if wait_log 'gateway reloaded ' $((n + 1)); then pass "A reloads on SIGHUP"; else fail "A reloads on SIGHUP" "$(tail -n 5 "$GW_LOG")"; fi
for v in tls1_3 tls1_2; do
  sess "$T/a-reloaded-$v.out" "$P_A" "-$v" -sess_in "$T/$v-k4.sess"
  expect_kind "$v: after the reload A resumes B's K4 ticket" Reused "$T/a-reloaded-$v.out"
done
# A reload that finds the key file open to others fails; the keys in use stay.
chmod 644 "$T/tickets.key"
n=$(grep -cE 'gateway reload_failed ' "$GW_LOG")
kill -HUP "$PID_A"
if wait_log 'gateway reload_failed ' $((n + 1)); then pass "a reload with a 0644 key file is rejected"; else fail "a reload with a 0644 key file is rejected" "$(tail -n 5 "$GW_LOG")"; fi
expect_match "... naming the key file" "reload_rejected .*session_tickets\.key_file: ticket key file .*mode 0644" "$(cat "$GW_LOG")"
sess "$T/a-kept.out" "$P_A" -tls1_3 -sess_in "$T/tls1_3-k4.sess"
expect_kind "A keeps serving with its keys and resumes the K4 ticket" Reused "$T/a-kept.out"
chmod 600 "$T/tickets.key"

# ---- the key file must be private -----------------------------------------------------------
chmod 644 "$T/tickets.key"
line=$(grep -n 'key_file:' "$T/b.yaml" | cut -d: -f1)
out=$("$INTRANSIT_BIN" check "$T/b.yaml" --state-dir "$T/state" 2>&1); rc=$?
expect_eq "check refuses a 0644 ticket key file (exit 1)" 1 "$rc"
expect_match "... at the key_file line, saying chmod 600" \
  "^$T/b.yaml:$line:[0-9]+: listeners\[0\]\.tls\.session_tickets\.key_file: ticket key file \"$T/tickets.key\" is readable by group/other \(mode 0644\); chmod 600 it" "$out"
chmod 600 "$T/tickets.key"
out=$("$INTRANSIT_BIN" check "$T/b.yaml" --state-dir "$T/state" 2>&1); rc=$?
expect_eq "check accepts it again at 0600" 0 "$rc"

# ---- secrets stay out of the logs -------------------------------------------------------------
leaked=0
for k in "$K1" "$K2" "$K3" "$K4"; do
  grep -qF -- "${k:0:24}" "$GW_LOG" && leaked=1
done
expect_eq "no ticket key material in the gateway logs" 0 "$leaked"
expect_match "the log names the current key by a short fingerprint" \
  "ticket_keys_loaded .*keys=1 current=[0-9a-f]{8}" "$(cat "$GW_LOG")"

kill -0 "$PID_A" 2>/dev/null && pass "instance A alive" || fail "instance A alive"
kill -0 "$PID_B" 2>/dev/null && pass "instance B alive" || fail "instance B alive"
finish
