#!/usr/bin/env bash
# proxy.sh (curl over TLS, HTTP/1.1): requests reach backend.py; the backend sees
# X-Forwarded-For 127.0.0.1, X-Forwarded-Proto https and Forwarded; responses carry HSTS (the
# policy's max-age) and nosniff; keep-alive is reused on the client side and on the backend
# side; a 50 MiB Content-Length upload and a 50 MiB chunked upload arrive intact (SHA-256),
# the gateway's RSS growing by less than 32 MiB while the backend reads slowly (streaming with
# back-pressure, not buffering); a chunked response and a 20 MiB download arrive intact; a
# 50 MiB download read slowly by the client also keeps RSS growth under 32 MiB.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_BE <<<"$(free_ports 2)"
gen_cert ec ec localhost 127.0.0.1
be_start "$P_BE"
cat >"$T/policy.yaml" <<EOF
version: 1
log_level: info
workers: 1
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:$P_GW
    protocol: https
$(HSTS_MAX_AGE=600 tls_block ec)
backends:
  - name: app
    address: 127.0.0.1:$P_BE
    connect_timeout_ms: 5000
    response_timeout_ms: 60000
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
gw_start "$T/policy.yaml"
gw_wait "$P_GW"
U="https://127.0.0.1:$P_GW"
MIB=$((1024 * 1024))
RSS_LIMIT_KB=$((32 * 1024))

# ---- simple GET, response headers ----
body=$("${CURL[@]}" -D "$T/h1" "$U/ok" 2>&1)
expect_eq "GET /ok through the gateway" "ok" "$body"
expect_match "status 200" '^HTTP/1\.1 200' "$(head -1 "$T/h1")"
expect_imatch "Strict-Transport-Security: max-age=600 (policy hsts_max_age)" \
  '^strict-transport-security: *max-age=600( *;.*)?'$'\r''?$' "$(cat "$T/h1")"
expect_imatch "X-Content-Type-Options: nosniff" '^x-content-type-options: *nosniff'$'\r''?$' "$(cat "$T/h1")"
got=$(grep -m1 '"target": "/ok"' "$BE_LOG" | wc -l)
expect_eq "the backend logged GET /ok" 1 "$got"

# ---- what the backend receives ----
"${CURL[@]}" "$U/headers" -o "$T/headers.json" 2>"$T/headers.err"
res=$("$PY" - "$T/headers.json" <<'PY'
import json, sys
try:
    h = json.load(open(sys.argv[1]))
except Exception as e:
    print("badjson %s %r" % (e, open(sys.argv[1], "rb").read()[:300])); sys.exit()
def get(n):
    v = [x[1] for x in h if x[0].lower() == n]
    return "|".join(v) if v else "<absent>"
print("xff=" + get("x-forwarded-for"))
print("xfp=" + get("x-forwarded-proto"))
print("fwd=" + get("forwarded"))
PY
)
echo "$res" | sed 's/^/    backend saw: /'
expect_match "backend saw X-Forwarded-For: 127.0.0.1" '^xff=127\.0\.0\.1$' "$(echo "$res" | grep '^xff=')"
expect_match "backend saw X-Forwarded-Proto: https" '^xfp=https$' "$(echo "$res" | grep '^xfp=')"
fwd=$(echo "$res" | grep '^fwd=')
expect_imatch "backend saw Forwarded with for=127.0.0.1" '(^fwd=|[;, ])for="?127\.0\.0\.1' "$fwd"
expect_imatch "backend saw Forwarded with proto=https" '(^fwd=|[;, ])proto=https' "$fwd"

# ---- keep-alive: client side and backend side ----
"${CURL[@]}" -v "$U/ok?ka=1" "$U/ok?ka=2" -o /dev/null -o /dev/null 2>"$T/ka.err"
expect_match "client keep-alive: curl re-used the connection" 'Re-using existing connection' "$(cat "$T/ka.err")"
c1=$(grep -F '"target": "/ok?ka=1"' "$BE_LOG" | sed -nE 's/.*"conn": ([0-9]+).*/\1/p')
c2=$(grep -F '"target": "/ok?ka=2"' "$BE_LOG" | sed -nE 's/.*"conn": ([0-9]+).*/\1/p')
if [ -n "$c1" ] && [ "$c1" = "$c2" ]; then pass "backend keep-alive: both requests on backend connection $c1"; else
  fail "backend keep-alive: both requests on one backend connection" "backend connection ids: '$c1' and '$c2'"; fi

# ---- RSS watcher ----
# rss_watch_start: sample the gateway's VmRSS every 50 ms into $T/rss.max (the maximum).
rss_watch_start() {
  rm -f "$T/rss.stop"; echo 0 >"$T/rss.max"
  ( max=0; while [ ! -e "$T/rss.stop" ] && kill -0 "$GW_PID" 2>/dev/null; do
      r=$(rss_kb "$GW_PID"); [ "${r:-0}" -gt "$max" ] && { max=$r; echo "$max" >"$T/rss.max"; }
      sleep 0.05; done ) &
  RSS_W=$!; track "$RSS_W"
}
rss_watch_stop() { touch "$T/rss.stop"; wait "$RSS_W" 2>/dev/null; cat "$T/rss.max"; }

# Big transfers take 1-3 s here; a stall is cut after 20 s so a failing run stays short.
BIG=(--max-time 20)

# rss_check DESC TRANSFER_OK BASE PEAK [EXTRA]: RSS growth below the limit, measured during a
# transfer that completed intact (a failed transfer proves nothing about streaming).
rss_check() {
  local desc=$1 ok=$2 base=$3 peak=$4 extra=${5:-} growth=$(($4 - $3))
  if [ "$ok" != yes ]; then
    fail "$desc (RSS growth < 32 MiB)" "not shown: the transfer did not complete intact (growth ${growth} KiB while it ran)"
  elif [ "$peak" -gt 0 ] && [ "$growth" -lt "$RSS_LIMIT_KB" ]; then
    pass "$desc: gateway RSS grew ${growth} KiB (< $RSS_LIMIT_KB)${extra:+ $extra}"
  else
    fail "$desc (RSS growth < 32 MiB)" "baseline ${base} KiB, peak ${peak} KiB, growth ${growth} KiB${extra:+ $extra}"
  fi
}

# explain CODEFILE BODYFILE ERRFILE: on a non-200, show the response body, curl's error and
# what the backend logged as an error.
explain() {
  [ "$(cat "$1")" = 200 ] && return 0
  echo "    response body: $(head -c 300 "$2" 2>/dev/null)"
  echo "    curl: $(head -c 300 "$3" 2>/dev/null)"
  echo "    backend errors: $(grep '"error"' "$BE_LOG" | tail -2 | tr '\n' ' ')"
}

# json_field FILE KEY
json_field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }

# ---- 50 MiB upload, Content-Length, slow backend reader ----
head -c $((50 * MIB)) /dev/urandom >"$T/up.bin"
UP_SHA=$(sha256sum "$T/up.bin" | cut -d' ' -f1)
base=$(rss_kb "$GW_PID")
rss_watch_start
t0=$(date +%s.%N)
"${CURL[@]}" "${BIG[@]}" --data-binary @"$T/up.bin" -H 'Content-Type: application/octet-stream' \
  -o "$T/up.json" -w '%{http_code}' "$U/sha256?rate=20000000" >"$T/up.code" 2>"$T/up.err"
peak=$(rss_watch_stop)
dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
expect_eq "50 MiB POST (Content-Length): status" 200 "$(cat "$T/up.code")"
explain "$T/up.code" "$T/up.json" "$T/up.err"
expect_eq "50 MiB POST (Content-Length): backend got every byte" $((50 * MIB)) "$(json_field "$T/up.json" bytes)"
expect_eq "50 MiB POST (Content-Length): SHA-256 matches" "$UP_SHA" "$(json_field "$T/up.json" sha256)"
okx=no; [ "$(json_field "$T/up.json" sha256)" = "$UP_SHA" ] && okx=yes
rss_check "50 MiB upload streamed with a slow backend" "$okx" "$base" "$peak" "over ${dt}s"

# ---- 50 MiB upload, chunked ----
base=$(rss_kb "$GW_PID")
rss_watch_start
"${CURL[@]}" "${BIG[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$T/up.bin" \
  -H 'Content-Type: application/octet-stream' -o "$T/upc.json" -w '%{http_code}' \
  "$U/sha256?rate=40000000" >"$T/upc.code" 2>"$T/upc.err"
peak=$(rss_watch_stop)
expect_eq "50 MiB POST (chunked): status" 200 "$(cat "$T/upc.code")"
explain "$T/upc.code" "$T/upc.json" "$T/upc.err"
expect_eq "50 MiB POST (chunked): backend got every byte" $((50 * MIB)) "$(json_field "$T/upc.json" bytes)"
expect_eq "50 MiB POST (chunked): SHA-256 matches" "$UP_SHA" "$(json_field "$T/upc.json" sha256)"
okx=no; [ "$(json_field "$T/upc.json" sha256)" = "$UP_SHA" ] && okx=yes
rss_check "50 MiB chunked upload streamed" "$okx" "$base" "$peak"
rm -f "$T/up.bin"

# ---- PUT with a small body ----
printf 'hello' >"$T/small"
"${CURL[@]}" -X PUT --data-binary @"$T/small" -o "$T/put.json" "$U/sha256" 2>/dev/null
expect_eq "PUT 5 bytes: SHA-256 matches" "$(sha256sum "$T/small" | cut -d' ' -f1)" "$(json_field "$T/put.json" sha256)"

# ---- chunked response ----
want=$(cd "$IT_DIR" && "$PY" -c 'import hashlib, backend; print(hashlib.sha256(b"".join(backend.CHUNKED_PARTS)).hexdigest())')
"${CURL[@]}" -D "$T/chunked.h" -o "$T/chunked.body" "$U/chunked" 2>"$T/chunked.err"
expect_eq "chunked response: status" 200 "$(head -1 "$T/chunked.h" | cut -d' ' -f2)"
expect_eq "chunked response: body intact (SHA-256)" "$want" "$(sha256sum "$T/chunked.body" | cut -d' ' -f1)"

# ---- 20 MiB download ----
N=$((20 * MIB))
want=$("$PY" "$IT_DIR/backend.py" --pattern-sha256 "$N")
"${CURL[@]}" "${BIG[@]}" -o "$T/big.bin" -w '%{http_code} %{size_download}' "$U/big?bytes=$N" >"$T/big.code" 2>"$T/big.err"
expect_eq "20 MiB download: status and size" "200 $N" "$(cat "$T/big.code")"
[ "$(cat "$T/big.code")" = "200 $N" ] || echo "    curl: $(cat "$T/big.err")"
expect_eq "20 MiB download: SHA-256 matches" "$want" "$(sha256sum "$T/big.bin" | cut -d' ' -f1)"
rm -f "$T/big.bin"

# ---- 50 MiB download read slowly: back-pressure towards the backend ----
N=$((50 * MIB))
want=$("$PY" "$IT_DIR/backend.py" --pattern-sha256 "$N")
base=$(rss_kb "$GW_PID")
rss_watch_start
"${CURL[@]}" "${BIG[@]}" --limit-rate 20M -o "$T/big.bin" -w '%{http_code} %{size_download}' "$U/big?bytes=$N" >"$T/big.code" 2>"$T/big.err"
peak=$(rss_watch_stop)
expect_eq "50 MiB slow download: status and size" "200 $N" "$(cat "$T/big.code")"
[ "$(cat "$T/big.code")" = "200 $N" ] || echo "    curl: $(cat "$T/big.err")"
expect_eq "50 MiB slow download: SHA-256 matches" "$want" "$(sha256sum "$T/big.bin" | cut -d' ' -f1)"
okx=no; [ "$(sha256sum "$T/big.bin" | cut -d' ' -f1)" = "$want" ] && okx=yes
rss_check "50 MiB download streamed to a slow client" "$okx" "$base" "$peak"
rm -f "$T/big.bin"

gw_alive && pass "gateway alive" || fail "gateway alive"
finish
