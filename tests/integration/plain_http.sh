#!/usr/bin/env bash
# plain_http.sh: a `plain_http: refuse` listener answers 400 with x-ms-error-code:
# AccountRequiresHttps and an XML body saying HTTPS is required, and forwards nothing; a
# `plain_http: redirect` listener answers 308 with Location https://<host>:<redirect_port>
# <path>?<query> (which curl -L then follows to a 200); plain HTTP sent to the TLS port gets
# a plaintext HTTP 400 and the connection is closed.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_REF P_RED P_BE <<<"$(free_ports 4)"
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
  - name: plain
    address: 127.0.0.1:$P_REF
    protocol: http
    plain_http: refuse
  - name: plain-redirect
    address: 127.0.0.1:$P_RED
    protocol: http
    plain_http: redirect
    redirect_port: $P_GW
backends:
  - name: app
    address: 127.0.0.1:$P_BE
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
gw_start "$T/policy.yaml"
gw_wait "$P_GW" "$P_REF" "$P_RED"

# ---- refuse ----
code=$(curl -sS --max-time 10 -D "$T/ref.h" -o "$T/ref.body" -w '%{http_code}' "http://127.0.0.1:$P_REF/plain/path?x=1" 2>&1)
expect_eq "refuse: GET -> 400" 400 "$code"
expect_imatch "refuse: x-ms-error-code: AccountRequiresHttps" '^x-ms-error-code: *AccountRequiresHttps'$'\r''?$' "$(cat "$T/ref.h")"
xml=$("$PY" - "$T/ref.body" <<'PY'
import sys, xml.etree.ElementTree as ET
b = open(sys.argv[1], "rb").read()
try:
    ET.fromstring(b)
    print("xml-ok")
except ET.ParseError as e:
    print("not-xml: %s" % e)
PY
)
expect_eq "refuse: body is well-formed XML" "xml-ok" "$xml"
expect_imatch "refuse: body says HTTPS is required" 'https' "$(cat "$T/ref.body")"
echo "    body: $(head -c 400 "$T/ref.body")"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --data-binary 'secret=1' "http://127.0.0.1:$P_REF/sha256" 2>&1)
expect_eq "refuse: POST with a body -> 400" 400 "$code"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Host: example.test' "http://127.0.0.1:$P_REF/ok" 2>&1)
expect_eq "refuse: any Host -> 400" 400 "$code"
if grep -qE '"target": "/(plain/path|sha256|ok)' "$BE_LOG" 2>/dev/null; then
  fail "refuse: nothing reached the backend" "$(cat "$BE_LOG")"; else pass "refuse: nothing reached the backend"; fi

# ---- redirect ----
code=$(curl -sS --max-time 10 -D "$T/red.h" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_RED/path?q=1" 2>&1)
expect_eq "redirect: GET -> 308" 308 "$code"
loc=$(sed -nE 's/^[Ll]ocation: *([^\r]*)\r?$/\1/p' "$T/red.h")
expect_eq "redirect: Location keeps host, path and query, uses redirect_port" "https://127.0.0.1:$P_GW/path?q=1" "$loc"
code=$(curl -sS --max-time 10 -D "$T/red2.h" -o /dev/null -w '%{http_code}' -H "Host: example.test:$P_RED" "http://127.0.0.1:$P_RED/a/b?c=d&e=f" 2>&1)
loc=$(sed -nE 's/^[Ll]ocation: *([^\r]*)\r?$/\1/p' "$T/red2.h")
expect_eq "redirect: Host example.test:$P_RED -> 308" 308 "$code"
expect_eq "redirect: Location https://example.test:$P_GW/a/b?c=d&e=f" "https://example.test:$P_GW/a/b?c=d&e=f" "$loc"
body=$(curl -sS -k --http1.1 --max-time 10 -L "http://127.0.0.1:$P_RED/ok" 2>&1)
expect_eq "redirect: curl -L follows to the HTTPS listener and gets the backend's 'ok'" "ok" "$body"

# ---- plain HTTP to the TLS port ----
out=$("$PY" "$IT_DIR/rawclient.py" --port "$P_GW" --send 'GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' --timeout 5)
first=$(echo "$out" | head -1)
echo "    plain HTTP to TLS port: $first / $(echo "$out" | sed -n 2p)"
expect_match "plain HTTP to the TLS port -> plaintext HTTP 400" '^status=400 ' "$first"
expect_match "plain HTTP to the TLS port -> connection closed" ' closed=(yes|reset) ' "$first"
expect_match "plain HTTP to the TLS port -> response is an HTTP/1.x status line" '^HTTP/1\.[01] 400' "$(echo "$out" | sed -n 2p)"
# The TLS listener still works afterwards.
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$P_GW/ok" 2>&1)
expect_eq "HTTPS still served after the plaintext request" 200 "$code"
gw_alive && pass "gateway alive" || fail "gateway alive"
finish
