#!/usr/bin/env bash
# tls_sni.sh: certificate selection. Three certificates (a.test ECDSA, b.test ECDSA, a.test
# RSA): SNI b.test gets b's certificate; SNI a.test gets the ECDSA one when the client can
# verify ECDSA and the RSA one when it can only do RSA (TLS 1.3 RSA-PSS-only signature
# algorithms, or TLS 1.2 with only ECDHE-RSA suites); an unknown name (and no SNI) gets the
# default certificate with `unknown_sni: default_certificate`, and a handshake failure with
# alert unrecognized_name (112) with `unknown_sni: reject`.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW2 P_BE <<<"$(free_ports 3)"
gen_cert a_ec ec a.test
gen_cert b_ec ec b.test
gen_cert a_rsa rsa2048 a.test
FP_A_EC=$(fingerprint "$T/a_ec.crt"); FP_B_EC=$(fingerprint "$T/b_ec.crt"); FP_A_RSA=$(fingerprint "$T/a_rsa.crt")
be_start "$P_BE"

write_policy() {  # FILE PORT
  cat >"$1" <<EOF
version: 1
log_level: debug
workers: 1
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:$2
    protocol: https
$(tls_block a_ec b_ec a_rsa)
backends:
  - name: app
    address: 127.0.0.1:$P_BE
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
}
UNKNOWN_SNI=default_certificate write_policy "$T/default.yaml" "$P_GW"
gw_start "$T/default.yaml"
gw_wait "$P_GW"

name_of() {
  case $1 in "$FP_A_EC") echo a_ec;; "$FP_B_EC") echo b_ec;; "$FP_A_RSA") echo a_rsa;; "") echo none;; *) echo "unknown($1)";; esac
}
# served DESC WANT PORT S_CLIENT_ARGS...: the handshake succeeds and the leaf is WANT.
served() {
  local desc=$1 want=$2 port=$3; shift 3
  sclient "$T/s.out" -connect "127.0.0.1:$port" "$@"
  if ! hs_ok "$T/s.out"; then fail "$desc" "handshake failed: openssl s_client $* => $(hs_summary "$T/s.out")"; return; fi
  local got; got=$(name_of "$(fingerprint "$T/s.out")")
  expect_eq "$desc" "$want" "$got"
}

served "SNI b.test -> b.test ECDSA" b_ec "$P_GW" -servername b.test
served "SNI a.test, TLS 1.3 default client -> a.test ECDSA" a_ec "$P_GW" -servername a.test -tls1_3
served "SNI a.test, TLS 1.2 default client -> a.test ECDSA" a_ec "$P_GW" -servername a.test -tls1_2
served "SNI A.TEST (case-insensitive) -> a.test ECDSA" a_ec "$P_GW" -servername A.TEST -tls1_3
served "SNI a.test, TLS 1.3 RSA-PSS-only sigalgs -> a.test RSA" a_rsa "$P_GW" \
  -servername a.test -tls1_3 -sigalgs 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384'
served "SNI a.test, TLS 1.2 ECDHE-RSA only -> a.test RSA" a_rsa "$P_GW" \
  -servername a.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
served "SNI a.test, TLS 1.2 ECDHE-ECDSA only -> a.test ECDSA" a_ec "$P_GW" \
  -servername a.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
served "unknown SNI zzz.test, default_certificate -> default (a.test ECDSA)" a_ec "$P_GW" -servername zzz.test
served "no SNI, default_certificate -> default (a.test ECDSA)" a_ec "$P_GW" -noservername

# A request on the SNI-selected connection really works end to end.
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' --resolve "b.test:$P_GW:127.0.0.1" "https://b.test:$P_GW/ok" 2>&1)
expect_eq "GET https://b.test/ok through the b.test certificate" 200 "$code"
gw_stop

UNKNOWN_SNI=reject write_policy "$T/reject.yaml" "$P_GW2"
gw_start "$T/reject.yaml"
gw_wait "$P_GW2"
sclient "$T/r.out" -connect "127.0.0.1:$P_GW2" -servername zzz.test
if hs_ok "$T/r.out"; then
  fail "unknown SNI zzz.test, reject -> handshake refused" "handshake completed, leaf $(name_of "$(fingerprint "$T/r.out")")"
elif grep -qiE 'unrecognized name|alert number 112' "$T/r.out"; then
  pass "unknown SNI zzz.test, reject -> handshake refused with alert unrecognized_name"
else
  fail "unknown SNI zzz.test, reject -> alert unrecognized_name" "handshake failed but not with alert 112: $(hs_summary "$T/r.out")"
fi
sclient "$T/r.out" -connect "127.0.0.1:$P_GW2" -servername zzz.test -tls1_2
if hs_ok "$T/r.out"; then fail "unknown SNI, TLS 1.2, reject -> refused" "handshake completed"
elif grep -qiE 'unrecognized name|alert number 112' "$T/r.out"; then pass "unknown SNI, TLS 1.2, reject -> alert unrecognized_name"
else fail "unknown SNI, TLS 1.2, reject -> alert unrecognized_name" "$(hs_summary "$T/r.out")"; fi
served "reject: SNI b.test still served b.test ECDSA" b_ec "$P_GW2" -servername b.test
served "reject: SNI a.test RSA-only still served a.test RSA" a_rsa "$P_GW2" -servername a.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
gw_alive && pass "gateway alive" || fail "gateway alive"
finish
