#!/usr/bin/env bash
# h2_proxy.sh (curl --http2 and h2load against the HTTPS door, backend.py behind it):
#   - ALPN: a listener with the default `http2: true` negotiates h2; one with `http2: false`
#     only offers http/1.1, and curl --http2 falls back to it
#   - GET, HEAD and the backend's view of an h2 request (HTTP/1.1, Host from :authority,
#     X-Forwarded-Proto https, no pseudo-header fields); HSTS and nosniff on h2 responses
#   - a 50 MiB upload with Content-Length and a 4 MiB upload of unknown length (re-framed as
#     chunked towards the backend) arrive intact (SHA-256 from backend.py /sha256); the 50 MiB
#     one is read slowly by the backend and the gateway's RSS grows by less than 32 MiB
#   - a chunked response and a 20 MiB download arrive intact over h2
#   - h2load -n 2000 -c 10 -m 10: every request succeeds with 2xx
# Needs curl built with nghttp2 (Debian's is) and h2load (Debian nghttp2-client).
. "$(dirname "$0")/lib.sh"

command -v h2load >/dev/null || { fail "h2load is installed (Debian nghttp2-client)"; finish; }

read -r P_GW P_H1 P_BE <<<"$(free_ports 3)"
gen_cert ec ec localhost 127.0.0.1
be_start "$P_BE"
cat >"$T/policy.yaml" <<EOF
version: 1
log_level: info
workers: 1
$(limits_block)
listeners:
  - name: h2
    address: 127.0.0.1:$P_GW
    protocol: https
$(HSTS_MAX_AGE=600 tls_block ec)
  - name: h1only
    address: 127.0.0.1:$P_H1
    protocol: https
    http2: false
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
gw_wait "$P_GW" "$P_H1"
U="https://127.0.0.1:$P_GW"
MIB=$((1024 * 1024))
RSS_LIMIT_KB=$((32 * 1024))
H2=(curl -sS -k --http2 --max-time 60)

json_field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }

# ---- ALPN ----
v=$("${H2[@]}" -o /dev/null -w '%{http_version}' "$U/ok" 2>&1)
expect_eq "ALPN: the default listener speaks h2 (curl --http2)" "2" "$v"
v=$("${H2[@]}" -o "$T/h1only.body" -w '%{http_version} %{http_code}' "https://127.0.0.1:$P_H1/ok" 2>&1)
expect_eq "ALPN: listener with http2: false -> curl --http2 falls back to HTTP/1.1" "1.1 200" "$v"
alpn=$(timeout 10 openssl s_client -connect "127.0.0.1:$P_H1" -alpn h2,http/1.1 </dev/null 2>&1 | grep -E '^ALPN protocol' | head -1)
expect_match "ALPN: http2: false selects http/1.1 from h2,http/1.1" 'ALPN protocol: http/1\.1$' "$alpn"
# Offered only h2, that listener has nothing in common with the client (RFC 7301 §3.2 lets it
# answer no_application_protocol); what matters is that h2 is never selected.
alpn=$(timeout 10 openssl s_client -connect "127.0.0.1:$P_H1" -alpn h2 </dev/null 2>&1)
expect_nomatch "ALPN: http2: false never selects h2 (s_client -alpn h2)" '^ALPN protocol: h2' "$alpn"
alpn=$(timeout 10 openssl s_client -connect "127.0.0.1:$P_GW" -alpn h2,http/1.1 </dev/null 2>&1 | grep -E '^ALPN protocol' | head -1)
expect_match "ALPN: the h2 listener selects h2 from h2,http/1.1" 'ALPN protocol: h2$' "$alpn"

# ---- GET, response headers ----
body=$("${H2[@]}" -D "$T/get.h" "$U/ok" 2>&1)
expect_eq "h2 GET /ok: body" "ok" "$body"
expect_match "h2 GET /ok: HTTP/2 200" '^HTTP/2 200' "$(head -1 "$T/get.h")"
expect_imatch "h2: Strict-Transport-Security: max-age=600" \
  '^strict-transport-security: *max-age=600( *;.*)?'$'\r''?$' "$(cat "$T/get.h")"
expect_imatch "h2: X-Content-Type-Options: nosniff" '^x-content-type-options: *nosniff'$'\r''?$' "$(cat "$T/get.h")"
expect_nomatch "h2: no connection-specific fields in the response" '^(connection|keep-alive|transfer-encoding):' "$(cat "$T/get.h")"

# ---- HEAD ----
"${H2[@]}" -I -o "$T/head.body" -D "$T/head.h" -w '%{size_download}' "$U/ok" >"$T/head.size" 2>"$T/head.err"
expect_match "h2 HEAD /ok: 200" '^HTTP/2 200' "$(head -1 "$T/head.h")"
expect_eq "h2 HEAD /ok: no body" "0" "$(cat "$T/head.size")"
expect_imatch "h2 HEAD /ok: content-length of the GET body kept" '^content-length: *2'$'\r''?$' "$(cat "$T/head.h")"
got=$(grep -c '"method": "HEAD", "target": "/ok"' "$BE_LOG")
expect_eq "backend saw HEAD /ok" 1 "$got"

# ---- what the backend receives for an h2 request ----
"${H2[@]}" -H 'X-Probe: h2-probe' -H 'Cookie: a=1' -H 'Cookie: b=2' "$U/headers?via=h2" -o "$T/headers.json" 2>"$T/headers.err"
res=$("$PY" - "$T/headers.json" "$BE_LOG" <<'PY'
import json, sys
try:
    h = json.load(open(sys.argv[1]))
except Exception as e:
    print("badjson %s" % e); sys.exit()
def get(n):
    v = [x[1] for x in h if x[0].lower() == n]
    return "|".join(v) if v else "<absent>"
print("host=" + get("host"))
print("xfp=" + get("x-forwarded-proto"))
print("xff=" + get("x-forwarded-for"))
print("probe=" + get("x-probe"))
print("cookie=" + get("cookie"))
print("pseudo=" + ",".join(x[0] for x in h if x[0].startswith(":")))
ver = [json.loads(l).get("version") for l in open(sys.argv[2]) if '"/headers?via=h2"' in l]
print("version=" + ",".join(v for v in ver if v))
PY
)
echo "$res" | sed 's/^/    backend saw: /'
expect_match "backend: request arrived as HTTP/1.1" '^version=HTTP/1\.1$' "$(echo "$res" | grep '^version=')"
expect_match "backend: Host is the :authority" '^host=127\.0\.0\.1:'"$P_GW"'$' "$(echo "$res" | grep '^host=')"
expect_match "backend: X-Forwarded-Proto https" '^xfp=https$' "$(echo "$res" | grep '^xfp=')"
expect_match "backend: X-Forwarded-For 127.0.0.1" '^xff=127\.0\.0\.1$' "$(echo "$res" | grep '^xff=')"
expect_match "backend: client field forwarded" '^probe=h2-probe$' "$(echo "$res" | grep '^probe=')"
expect_match "backend: cookie crumbs joined into one field" '^cookie=a=1; b=2$' "$(echo "$res" | grep '^cookie=')"
expect_match "backend: no pseudo-header fields" '^pseudo=$' "$(echo "$res" | grep '^pseudo=')"

# ---- RSS watcher (as proxy.sh) ----
rss_watch_start() {
  rm -f "$T/rss.stop"; echo 0 >"$T/rss.max"
  ( max=0; while [ ! -e "$T/rss.stop" ] && kill -0 "$GW_PID" 2>/dev/null; do
      r=$(rss_kb "$GW_PID"); [ "${r:-0}" -gt "$max" ] && { max=$r; echo "$max" >"$T/rss.max"; }
      sleep 0.05; done ) &
  RSS_W=$!; track "$RSS_W"
}
rss_watch_stop() { touch "$T/rss.stop"; wait "$RSS_W" 2>/dev/null; cat "$T/rss.max"; }
BIG=(--max-time 30)

# ---- 50 MiB upload with Content-Length, backend reads at 40 MB/s ----
head -c $((50 * MIB)) /dev/urandom >"$T/up.bin"
UP_SHA=$(sha256sum "$T/up.bin" | cut -d' ' -f1)
base=$(rss_kb "$GW_PID")
rss_watch_start
"${H2[@]}" "${BIG[@]}" --data-binary @"$T/up.bin" -H 'Content-Type: application/octet-stream' \
  -o "$T/up.json" -w '%{http_code} %{http_version}' "$U/sha256?rate=40000000" >"$T/up.code" 2>"$T/up.err"
peak=$(rss_watch_stop)
expect_eq "h2 50 MiB POST: status over HTTP/2" "200 2" "$(cat "$T/up.code")"
[ "$(cut -d' ' -f1 "$T/up.code")" = 200 ] || echo "    curl: $(head -c 300 "$T/up.err") body: $(head -c 300 "$T/up.json")"
expect_eq "h2 50 MiB POST: backend got every byte" $((50 * MIB)) "$(json_field "$T/up.json" bytes)"
expect_eq "h2 50 MiB POST: SHA-256 matches" "$UP_SHA" "$(json_field "$T/up.json" sha256)"
growth=$((peak - base))
if [ "$(json_field "$T/up.json" sha256)" = "$UP_SHA" ] && [ "$growth" -lt "$RSS_LIMIT_KB" ]; then
  pass "h2 50 MiB upload streamed: gateway RSS grew ${growth} KiB (< $RSS_LIMIT_KB)"
else
  fail "h2 50 MiB upload streamed (RSS growth < 32 MiB)" "baseline $base KiB, peak $peak KiB"
fi
cl=$(grep -F '"target": "/sha256?rate=40000000"' "$BE_LOG" | head -1 | grep -io '\["content-length", "[0-9]*"\]' | head -1)
expect_match "backend: the upload carried Content-Length" "\"$((50 * MIB))\"" "$cl"

# ---- 4 MiB upload of unknown length (no content-length over h2 -> chunked to the backend) ----
head -c $((4 * MIB)) "$T/up.bin" >"$T/up4.bin"
UP4_SHA=$(sha256sum "$T/up4.bin" | cut -d' ' -f1)
# curl -T - streams stdin without knowing its length: over h2 that is DATA without content-length.
cat "$T/up4.bin" | "${H2[@]}" "${BIG[@]}" -T - -H 'Content-Type: application/octet-stream' \
  -o "$T/up4.json" -w '%{http_code}' "$U/sha256?unknown=1" >"$T/up4.code" 2>"$T/up4.err"
expect_eq "h2 POST of unknown length: status" 200 "$(cat "$T/up4.code")"
expect_eq "h2 POST of unknown length: SHA-256 matches" "$UP4_SHA" "$(json_field "$T/up4.json" sha256)"
te=$(grep -F '"target": "/sha256?unknown=1"' "$BE_LOG" | head -1)
expect_imatch "backend: unknown length re-framed as Transfer-Encoding: chunked" '"transfer-encoding", "chunked"' "$te"
expect_nomatch "backend: and without Content-Length" '"content-length"' "$te"
rm -f "$T/up.bin" "$T/up4.bin"

# ---- chunked response ----
want=$(cd "$IT_DIR" && "$PY" -c 'import hashlib, backend; print(hashlib.sha256(b"".join(backend.CHUNKED_PARTS)).hexdigest())')
"${H2[@]}" -D "$T/chunked.h" -o "$T/chunked.body" "$U/chunked" 2>"$T/chunked.err"
expect_match "h2 chunked response: HTTP/2 200" '^HTTP/2 200' "$(head -1 "$T/chunked.h")"
expect_eq "h2 chunked response: body intact (SHA-256)" "$want" "$(sha256sum "$T/chunked.body" | cut -d' ' -f1)"

# ---- 20 MiB download ----
N=$((20 * MIB))
want=$("$PY" "$IT_DIR/backend.py" --pattern-sha256 "$N")
"${H2[@]}" "${BIG[@]}" -o "$T/big.bin" -w '%{http_code} %{size_download} %{http_version}' "$U/big?bytes=$N" >"$T/big.code" 2>"$T/big.err"
expect_eq "h2 20 MiB download: status, size, HTTP/2" "200 $N 2" "$(cat "$T/big.code")"
[ "$(cat "$T/big.code")" = "200 $N 2" ] || echo "    curl: $(cat "$T/big.err")"
expect_eq "h2 20 MiB download: SHA-256 matches" "$want" "$(sha256sum "$T/big.bin" | cut -d' ' -f1)"
rm -f "$T/big.bin"

# ---- h2load: many streams over few connections ----
timeout 60 h2load -n 2000 -c 10 -m 10 "$U/ok" >"$T/h2load.out" 2>&1
req=$(grep -E '^requests:' "$T/h2load.out")
codes=$(grep -E '^status codes:' "$T/h2load.out")
expect_match "h2load -n 2000 -c 10 -m 10: 2000 succeeded" '2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout' "$req"
expect_match "h2load: all 2xx" '^status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx' "$codes"
expect_match "h2load negotiated h2" 'Application protocol: h2' "$(cat "$T/h2load.out")"
rps=$(sed -nE 's/^finished in [^,]*, ([0-9.]+) req\/s.*/\1/p' "$T/h2load.out")

gw_alive && pass "gateway alive" || fail "gateway alive"
finish "h2load=${rps:-?}req/s"
