#!/usr/bin/env bash
# tls_versions.sh (openssl s_client): TLS 1.0 / 1.1 refused; TLS 1.2 RSA key exchange, CBC,
# finite-field DHE, AES-CCM and groups outside the policy refused; TLS 1.2 ECDHE+AEAD (ECDSA
# and RSA certificates) and TLS 1.3 accepted; client-initiated renegotiation refused; no TLS
# compression.
#
# Every "refused" case is first run against a control server (openssl s_server allowing
# everything, client renegotiation included): the case only counts when the same client
# command succeeds there, so a client that silently cannot speak e.g. TLS 1.0 (OpenSSL 3's
# security level) never makes the test pass by accident.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_BE P_CTL <<<"$(free_ports 3)"
gen_cert ec ec localhost 127.0.0.1
gen_cert rsa rsa2048 localhost 127.0.0.1
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
$(tls_block ec rsa)
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

openssl s_server -accept "127.0.0.1:$P_CTL" -cert "$T/rsa.crt" -key "$T/rsa.key" \
  -dcert "$T/ec.crt" -dkey "$T/ec.key" -cipher 'ALL:@SECLEVEL=0' -client_renegotiation \
  -www -quiet </dev/null >"$T/control.log" 2>&1 &
CTL_PID=$!; track "$CTL_PID"
wait_port "$P_CTL" 10 "$CTL_PID" || { fail "control s_server starts" "$(cat "$T/control.log")"; finish; }

# refused DESC S_CLIENT_ARGS...: the control completes the handshake, the gateway does not,
# and the client did send its ClientHello to the gateway.
refused() {
  local desc=$1; shift
  sclient "$T/ctl.out" -connect "127.0.0.1:$P_CTL" "$@"
  if ! hs_ok "$T/ctl.out"; then
    fail "$desc refused (control)" "the client cannot do this even against the control server, so the case proves nothing: openssl s_client $* => $(hs_summary "$T/ctl.out")"
    return
  fi
  sclient "$T/gw.out" -connect "127.0.0.1:$P_GW" "$@"
  local w; w=$(hs_written "$T/gw.out")
  if hs_ok "$T/gw.out"; then
    fail "$desc refused" "openssl s_client $* completed a handshake: $(hs_summary "$T/gw.out")"
  elif [ "${w:-0}" -eq 0 ]; then
    fail "$desc refused" "the client wrote 0 bytes to the gateway: $(hs_summary "$T/gw.out")"
  else
    pass "$desc refused ($(grep -m1 -oE 'alert [a-z ]+|error:[^:]*:[^:]*:[^:]*:[^:]*' "$T/gw.out" | head -1))"
  fi
}
# accepted DESC PROTOCOL CIPHER_ERE S_CLIENT_ARGS...
accepted() {
  local desc=$1 proto=$2 cipher=$3; shift 3
  sclient "$T/gw.out" -connect "127.0.0.1:$P_GW" "$@"
  if ! hs_ok "$T/gw.out"; then
    fail "$desc accepted" "openssl s_client $* failed: $(hs_summary "$T/gw.out")"; return
  fi
  local p c
  # The SSL-Session block ("Protocol  : ...") is not printed for TLS 1.3 when stdin closes
  # before the tickets arrive; "New, <version>, Cipher is" then names the protocol.
  p=$(sed -nE 's/^ +Protocol +: +(.*)/\1/p' "$T/gw.out" | head -1)
  [ -n "$p" ] || p=$(sed -nE 's/^New, ([^,]+), Cipher is .*/\1/p' "$T/gw.out" | head -1)
  c=$(sed -nE 's/^New, [^,]+, Cipher is (.*)/\1/p' "$T/gw.out" | head -1)
  if [ "$p" = "$proto" ] && [[ $c =~ $cipher ]]; then pass "$desc accepted ($p $c)"; else
    fail "$desc accepted" "expected $proto / $cipher, got $p / $c"; fi
}

refused "TLS 1.0" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
refused "TLS 1.1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
refused "TLS 1.2 RSA key exchange AES128-GCM-SHA256" -tls1_2 -cipher AES128-GCM-SHA256
refused "TLS 1.2 RSA key exchange AES256-GCM-SHA384" -tls1_2 -cipher AES256-GCM-SHA384
refused "TLS 1.2 CBC ECDHE-RSA-AES128-SHA" -tls1_2 -cipher ECDHE-RSA-AES128-SHA
refused "TLS 1.2 CBC ECDHE-ECDSA-AES128-SHA" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
refused "TLS 1.2 CBC ECDHE-RSA-AES128-SHA256" -tls1_2 -cipher ECDHE-RSA-AES128-SHA256
refused "TLS 1.2 finite-field DHE-RSA-AES128-GCM-SHA256" -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256
refused "TLS 1.2 ECDHE-ECDSA-AES128-CCM (not in cipher_suites)" -tls1_2 -cipher ECDHE-ECDSA-AES128-CCM
refused "TLS 1.2 with only group P-521 (not in groups)" -tls1_2 -groups P-521
refused "TLS 1.3 with only group P-521 (not in groups)" -tls1_3 -groups P-521
refused "TLS 1.3 with only group ffdhe2048 (not in groups)" -tls1_3 -groups ffdhe2048

accepted "TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256" TLSv1.2 '^ECDHE-ECDSA-AES128-GCM-SHA256$' \
  -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
if grep -q '^Compression: NONE' "$T/gw.out" && ! grep -qE '^Expansion: [^N]' "$T/gw.out"; then
  pass "TLS 1.2: no compression"; else fail "TLS 1.2: no compression" "$(grep -E '^(Compression|Expansion)' "$T/gw.out")"; fi
accepted "TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384 (RSA certificate)" TLSv1.2 '^ECDHE-RSA-AES256-GCM-SHA384$' \
  -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
accepted "TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305" TLSv1.2 '^ECDHE-ECDSA-CHACHA20-POLY1305$' \
  -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
accepted "TLS 1.2 with group P-384" TLSv1.2 '^ECDHE-' -tls1_2 -groups P-384
expect_match "TLS 1.2 with group P-384: key exchange on P-384" 'Server Temp Key: ECDH, (secp384r1|P-384)' "$(cat "$T/gw.out")"
accepted "TLS 1.3 (default client)" TLSv1.3 '^TLS_' -tls1_3
if grep -q '^Compression: NONE' "$T/gw.out"; then pass "TLS 1.3: no compression"; else
  fail "TLS 1.3: no compression" "$(grep -E '^(Compression|Expansion)' "$T/gw.out")"; fi
accepted "TLS 1.3 TLS_CHACHA20_POLY1305_SHA256" TLSv1.3 '^TLS_CHACHA20_POLY1305_SHA256$' \
  -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
accepted "TLS 1.3 with group X25519" TLSv1.3 '^TLS_' -tls1_3 -groups X25519
expect_match "TLS 1.3 with group X25519: key exchange on X25519" 'Server Temp Key: X25519' "$(cat "$T/gw.out")"

# Renegotiation: after the TLS 1.2 handshake, 'R' makes s_client start a renegotiation, then
# a request is sent. A successful renegotiation shows the certificate a second time
# ("verify return" after RENEGOTIATING). The control proves the probe works.
reneg() {
  local port=$1 out=$2
  { sleep 0.7; printf 'R\n'; sleep 1.0; printf 'GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n'; sleep 1.0; } |
    timeout 8 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -servername localhost >"$out" 2>&1
}
reneg_done() { sed -n '/^RENEGOTIATING/,$p' "$1" | grep -q 'verify return'; }
reneg "$P_CTL" "$T/reneg-ctl.out"
if grep -q '^RENEGOTIATING' "$T/reneg-ctl.out" && reneg_done "$T/reneg-ctl.out"; then
  reneg "$P_GW" "$T/reneg-gw.out"
  if ! grep -q '^RENEGOTIATING' "$T/reneg-gw.out"; then
    fail "client renegotiation refused" "s_client never started the renegotiation: $(hs_summary "$T/reneg-gw.out")"
  elif reneg_done "$T/reneg-gw.out"; then
    fail "client renegotiation refused" "a second handshake completed: $(sed -n '/^RENEGOTIATING/,$p' "$T/reneg-gw.out" | head -8 | tr '\n' ' ')"
  else
    pass "client renegotiation refused ($(grep -m1 -E 'Secure Renegotiation' "$T/reneg-gw.out"); after R: $(sed -n '/^RENEGOTIATING/,$p' "$T/reneg-gw.out" | grep -m1 -oE 'error:[^:]*:[^:]*:[^:]*:[^:]*|alert [a-z ]+|closed' | head -1))"
  fi
else
  fail "client renegotiation refused (control)" "the renegotiation probe did not renegotiate against the control server: $(sed -n '/^RENEGOTIATING/,$p' "$T/reneg-ctl.out" | head -5 | tr '\n' ' ')"
fi

gw_alive && pass "gateway alive after all handshakes" || fail "gateway alive after all handshakes"
finish
