#!/usr/bin/env bash
# backend_down.sh: backend not running -> 502 with a body saying so; backend slower than
# response_timeout_ms -> 504 with a body saying so; backend started -> 200; backend killed
# (SIGKILL by PID) while a request waits on it -> 502/504; backend killed and restarted under a
# steady request stream (curl --rate, keep-alive) -> only 200/502/503/504, no transport error,
# 200 again after the restart, and the gateway alive throughout.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_BE <<<"$(free_ports 2)"
gen_cert ec ec localhost 127.0.0.1
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
    connect_timeout_ms: 1000
    response_timeout_ms: 2000
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
gw_start "$T/policy.yaml"
gw_wait "$P_GW"
U="https://127.0.0.1:$P_GW"

# ---- backend not running ----
code=$("${CURL[@]}" -D "$T/h1" -o "$T/b1" -w '%{http_code}' "$U/ok?down=1" 2>"$T/e1")
expect_eq "backend not running -> 502" 502 "$code"
echo "    502 body: $(head -c 300 "$T/b1")"
expect_imatch "the gateway's own 502 carries Strict-Transport-Security" '^strict-transport-security: *max-age=' "$(cat "$T/h1")"
expect_imatch "the gateway's own 502 carries X-Content-Type-Options: nosniff" '^x-content-type-options: *nosniff' "$(cat "$T/h1")"
expect_imatch "502 body says the backend could not be reached" '(refused|connect|unreachable|unavailable|down|not running)' "$(cat "$T/b1")"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$U/ok?down=2" 2>/dev/null)
expect_eq "backend still not running -> 502 again" 502 "$code"

# ---- backend up ----
be_start "$P_BE"
code=$("${CURL[@]}" -o "$T/b2" -w '%{http_code}' "$U/ok?up=1" 2>/dev/null)
expect_eq "backend started -> 200" 200 "$code"

# ---- response timeout ----
t0=$(date +%s.%N)
code=$("${CURL[@]}" -o "$T/b3" -w '%{http_code}' "$U/slow?ms=5000" 2>/dev/null)
dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
expect_eq "backend slower than response_timeout_ms (2000) -> 504" 504 "$code"
echo "    504 after ${dt}s, body: $(head -c 300 "$T/b3")"
expect_imatch "504 body says the backend timed out" '(time|timed|slow|respond)' "$(cat "$T/b3")"
if awk -v d="$dt" 'BEGIN{exit !(d >= 1.5 && d < 4.5)}'; then pass "504 came after ~response_timeout_ms (${dt}s)"; else
  fail "504 came after ~response_timeout_ms" "took ${dt}s, expected 1.5-4.5 s"; fi

# ---- backend killed while a request waits on it ----
"${CURL[@]}" -o "$T/b4" -w '%{http_code}' "$U/slow?ms=1500&inflight=1" >"$T/c4" 2>/dev/null &
cpid=$!; track "$cpid"
for _ in $(seq 1 40); do grep -q 'inflight=1' "$BE_LOG" 2>/dev/null && break; sleep 0.05; done
be_kill KILL
wait "$cpid"
code=$(cat "$T/c4")
if [ "$code" = 502 ] || [ "$code" = 504 ]; then pass "backend killed mid-request -> $code"; else
  fail "backend killed mid-request -> 502/504" "got '$code', body: $(head -c 200 "$T/b4")"; fi
gw_alive && pass "gateway alive after the backend was killed" || fail "gateway alive after the backend was killed"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$U/ok?dead=1" 2>/dev/null)
expect_eq "backend dead -> 502" 502 "$code"

# ---- kill and restart under a steady stream ----
be_start "$P_BE"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$U/ok?back=1" 2>/dev/null)
expect_eq "backend restarted -> 200" 200 "$code"
# 160 requests at 40/s (4 s) on keep-alive connections; kill at 1 s, restart at 2.2 s.
"${CURL[@]}" --rate 40/s -o /dev/null -w '%{http_code}\n' "$U/ok?i=[1-160]" >"$T/stream.codes" 2>"$T/stream.err" &
spid=$!; track "$spid"
sleep 1; be_kill KILL
sleep 1.2; be_start "$P_BE"
wait "$spid"
total=$(wc -l <"$T/stream.codes")
summary=$(sort "$T/stream.codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')
other=$(grep -cvE '^(200|502|503|504)$' "$T/stream.codes")
echo "    stream: $summary"
expect_eq "stream: 160 responses" 160 "$total"
expect_eq "stream: only 200/502/503/504 (no transport errors, no other status)" 0 "$other"
if grep -qE '^(502|503|504)$' "$T/stream.codes"; then pass "stream: the outage was seen (5xx while the backend was down)"; else
  fail "stream: the outage was seen" "no 502/503/504 at all: $summary (did the kill happen?)"; fi
tail20=$(tail -20 "$T/stream.codes" | grep -c '^200$')
expect_eq "stream: the last 20 requests (after the restart) are 200" 20 "$tail20"
gw_alive && pass "gateway alive at the end" || fail "gateway alive at the end"
finish
