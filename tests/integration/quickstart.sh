#!/usr/bin/env bash
# quickstart.sh: `intransit run` with no --policy (the embedded default policy) and a fresh
# --state-dir, on the fixed ports 8443 / 8080 / 8081 (ctest RESOURCE_LOCK default_ports).
# https://127.0.0.1:8443/ serves the demo page ("intransit is serving") with HSTS and nosniff;
# /echo answers JSON with the method, path, body size and SHA-256; the state dir now holds a
# generated ECDSA P-256 certificate (*.crt) and its key (*.key, mode 0600), and it is the
# certificate served; a restart reuses the same certificate (same fingerprint, files
# untouched); http://127.0.0.1:8080/ answers 400 AccountRequiresHttps.
. "$(dirname "$0")/lib.sh"

for p in 8443 8080 8081; do
  if port_listening "$p"; then
    fail "port $p is free before the test" "$(ss -Hltnp "( sport = :$p )" 2>/dev/null)"
    finish "(default ports busy)"
  fi
done
STATE=$T/state   # does not exist yet: the gateway creates it

start_default() {
  echo "==== $(date +%T.%N) start: run --state-dir $STATE (embedded default policy)" >>"$GW_LOG"
  "$INTRANSIT_BIN" run --state-dir "$STATE" </dev/null >>"$GW_LOG" 2>&1 &
  GW_PID=$!; track "$GW_PID"
  gw_wait 8443 8080 8081
}
start_default

body=$(curl -sS -k --http1.1 --max-time 10 -D "$T/h" "https://127.0.0.1:8443/" 2>&1)
expect_eq "GET https://127.0.0.1:8443/ -> 200" 200 "$(head -1 "$T/h" | cut -d' ' -f2)"
expect_match "the page contains 'intransit is serving'" 'intransit is serving' "$body"
expect_imatch "response has Strict-Transport-Security" '^strict-transport-security: *max-age=[1-9][0-9]*' "$(cat "$T/h")"
expect_imatch "response has X-Content-Type-Options: nosniff" '^x-content-type-options: *nosniff' "$(cat "$T/h")"

printf 'quickstart body' >"$T/body"
"${CURL[@]}" --data-binary @"$T/body" -o "$T/echo.json" "https://127.0.0.1:8443/echo?x=1" 2>"$T/echo.err"
res=$("$PY" - "$T/echo.json" "$(sha256sum "$T/body" | cut -d' ' -f1)" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("bad json: %s %r" % (e, open(sys.argv[1], "rb").read()[:200])); sys.exit()
bad = []
if j.get("method") != "POST": bad.append("method=%r" % j.get("method"))
if not str(j.get("path", "")).startswith("/echo"): bad.append("path=%r" % j.get("path"))
if j.get("body_bytes") != 15: bad.append("body_bytes=%r" % j.get("body_bytes"))
if j.get("sha256") != sys.argv[2]: bad.append("sha256=%r" % j.get("sha256"))
print("ok" if not bad else "wrong: " + ", ".join(bad) + " in " + json.dumps(j))
PY
)
expect_eq "POST /echo -> JSON with method, path, body_bytes, sha256 of what was sent" ok "$res"

# ---- generated certificate ----
crts=$(find "$STATE" -maxdepth 1 -name '*.crt' 2>/dev/null)
keys=$(find "$STATE" -maxdepth 1 -name '*.key' 2>/dev/null)
if [ "$(echo "$crts" | grep -c .)" -ge 1 ] && [ "$(echo "$keys" | grep -c .)" -ge 1 ]; then
  pass "state dir holds a generated certificate and key ($(basename "$(echo "$crts" | head -1)"), $(basename "$(echo "$keys" | head -1)"))"
else
  fail "state dir holds a generated *.crt and *.key" "$(ls -la "$STATE" 2>&1)"
  finish
fi
crt=$(echo "$crts" | head -1); key=$(echo "$keys" | head -1)
expect_eq "generated key file mode is 0600" 600 "$(stat -c %a "$key")"
alg=$(openssl x509 -in "$crt" -noout -text 2>/dev/null)
expect_match "generated certificate is ECDSA P-256" 'id-ecPublicKey' "$alg"
expect_match "generated certificate is on prime256v1" '(prime256v1|P-256)' "$alg"
FP1=$(fingerprint "$crt")
sclient "$T/s1.out" -connect 127.0.0.1:8443 -servername localhost
served1=$(fingerprint "$T/s1.out")
expect_eq "the served certificate is the generated one" "$FP1" "$served1"
sum1=$(cat "$STATE"/*.crt "$STATE"/*.key | sha256sum)

# ---- plain HTTP listener ----
code=$(curl -sS --max-time 10 -D "$T/p.h" -o "$T/p.body" -w '%{http_code}' "http://127.0.0.1:8080/" 2>&1)
expect_eq "http://127.0.0.1:8080/ -> 400" 400 "$code"
expect_imatch "http://127.0.0.1:8080/ -> x-ms-error-code: AccountRequiresHttps" '^x-ms-error-code: *AccountRequiresHttps' "$(cat "$T/p.h")"

# ---- restart reuses the certificate ----
gw_stop 20; rc=$?
expect_eq "SIGTERM stops the quick-start gateway with exit code 0" 0 "$rc"
start_default
sclient "$T/s2.out" -connect 127.0.0.1:8443 -servername localhost
served2=$(fingerprint "$T/s2.out")
expect_eq "after a restart the same certificate is served (fingerprint)" "$FP1" "$served2"
sum2=$(cat "$STATE"/*.crt "$STATE"/*.key | sha256sum)
expect_eq "after a restart the state files are unchanged" "$sum1" "$sum2"
n=$(find "$STATE" -maxdepth 1 -name '*.crt' | wc -l)
expect_eq "after a restart there is still one certificate in the state dir" 1 "$n"
body=$(curl -sS -k --http1.1 --max-time 10 "https://127.0.0.1:8443/" 2>&1)
expect_match "after a restart the page is served" 'intransit is serving' "$body"
gw_stop 20
finish
