#!/usr/bin/env bash
# malformed.sh: raw requests over TLS (python3 ssl). Content-Length + Transfer-Encoding ->
# 400 and the connection closed, nothing forwarded; obs-fold -> 400; bare LF (request line
# and header line) -> 400; a 70 KB header -> 431; 150 header fields -> 431. Meanwhile a good
# request on a second connection, opened before the bad ones and finished after them, still
# gets its 200, and a fresh connection works after each case. The gateway log has a line with
# the reason of each refusal.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_BE <<<"$(free_ports 2)"
gen_cert ec ec localhost 127.0.0.1
be_start "$P_BE"
cat >"$T/policy.yaml" <<EOF
version: 1
log_level: debug
workers: 1
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:$P_GW
    protocol: https
$(tls_block ec)
backends:
  - name: app
    address: 127.0.0.1:$P_BE
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
gw_start "$T/policy.yaml"
gw_wait "$P_GW"

# Payloads, written byte-exact by python.
"$PY" - "$T" <<'PY'
import sys
d = sys.argv[1]
H = b"Host: localhost\r\n"
cases = {
    "clte": b"POST /sha256?case=clte HTTP/1.1\r\n" + H + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /ok?case=SMUGGLED HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "tecl": b"POST /sha256?case=tecl HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGET /ok?case=SMUGGLED2 HTTP/1.1\r\nHost: localhost\r\n\r\n0\r\n\r\n",
    "fold": b"GET /ok?case=fold HTTP/1.1\r\n" + H + b"X-Folded: first\r\n  second\r\n\r\n",
    "lf": b"GET /ok?case=lf HTTP/1.1\nHost: localhost\n\n",
    "lf2": b"GET /ok?case=lf2 HTTP/1.1\r\n" + H + b"X-A: b\nX-C: d\r\n\r\n",
    "big": b"GET /ok?case=big HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
    "many": b"GET /ok?case=many HTTP/1.1\r\n" + H + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n",
}
for k, v in cases.items():
    open("%s/%s.req" % (d, k), "wb").write(v)
PY

# The good connection: opened now with half a request head, finished after the bad cases.
"$PY" - "$IT_DIR" "$P_GW" "$T" >"$T/good.out" 2>&1 <<'PY' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
import rawclient as rc
port, t = int(sys.argv[2]), sys.argv[3]
s = rc.connect(port, tls=True, timeout=20)
s.sendall(b"GET /ok?case=good HTTP/1.1\r\nHost: localhost\r\n")
open(t + "/good.ready", "w").close()
deadline = time.time() + 30
while not os.path.exists(t + "/good.go") and time.time() < deadline:
    time.sleep(0.05)
s.sendall(b"\r\n")
data, closed = rc.read_until_close(s, 5, stop_after_response=True)
print("status=%s body=%r" % (rc.status_of(data), data.split(b"\r\n\r\n", 1)[-1][:40]))
PY
GOOD_PID=$!; track "$GOOD_PID"
for _ in $(seq 1 100); do [ -e "$T/good.ready" ] && break; sleep 0.05; done
[ -e "$T/good.ready" ] && pass "good connection opened with a partial head" || fail "good connection opened" "$(cat "$T/good.out")"

# bad CASE DESC STATUS LOG_ERE: send CASE.req, expect STATUS and a closed connection, a log
# line matching LOG_ERE (case-insensitive) among the lines it added, and a fresh good request.
bad() {
  local c=$1 desc=$2 want=$3 logre=$4 before out first i seg
  before=$(wc -c <"$GW_LOG")
  out=$("$PY" "$IT_DIR/rawclient.py" --tls --port "$P_GW" --send-file "$T/$c.req" --timeout 5)
  first=$(echo "$out" | head -1)
  echo "    $c: $first | $(echo "$out" | sed -n 2p | cut -c1-100)"
  expect_match "$desc -> $want" "^status=$want " "$first"
  expect_match "$desc -> connection closed" ' closed=(yes|reset)( |$)' "$first"
  expect_imatch "$desc -> the $want carries Strict-Transport-Security" '^strict-transport-security: *max-age=' "$out"
  for i in $(seq 1 20); do
    seg=$(tail -c +$((before + 1)) "$GW_LOG")
    printf '%s' "$seg" | grep -Eiq -- "$logre" && break
    sleep 0.1
  done
  if printf '%s' "$seg" | grep -Eiq -- "$logre"; then
    pass "$desc -> logged: $(printf '%s' "$seg" | grep -Ei -m1 -- "$logre" | cut -c1-200)"
  else
    fail "$desc -> a gateway log line with the reason (/$logre/i)" "new log lines:"$'\n'"$(printf '%s' "$seg" | tail -8)"
  fi
  local code; code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$P_GW/ok?after=$c" 2>&1)
  expect_eq "after $c: a new connection still gets 200" 200 "$code"
}
bad clte "Content-Length + Transfer-Encoding (CL.TE)" 400 'cl_with_te|content.length.*transfer.encoding|transfer.encoding.*content.length'
bad tecl "Transfer-Encoding + Content-Length (TE.CL)" 400 'cl_with_te|content.length.*transfer.encoding|transfer.encoding.*content.length'
bad fold "obs-fold header continuation" 400 'obs.?fold|fold'
bad lf "bare LF line endings" 400 'bare.?lf|without CR'
bad lf2 "bare LF inside the header section" 400 'bare.?lf|without CR'
bad big "70 KB header (max_head_bytes 16384)" 431 'head.?too.?large|too large|max_head'
bad many "150 header fields (max_header_count 100)" 431 'too.?many.?(header.?)?fields|max_header_count|too many'

touch "$T/good.go"
wait "$GOOD_PID"
good=$(cat "$T/good.out")
expect_match "concurrent good request (opened before the bad ones) -> 200 ok" "^status=200 body=b'ok'" "$good"

# Nothing of a refused request, and nothing smuggled, reached the backend.
leaked=$(grep -E 'case=(clte|tecl|fold|lf|lf2|big|many|SMUGGLED)' "$BE_LOG" | cut -c1-200)
expect_eq "no refused or smuggled request reached the backend" "" "$leaked"
gw_alive && pass "gateway alive" || fail "gateway alive"
finish
