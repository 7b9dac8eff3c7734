#!/usr/bin/env bash
# tls_quick.sh: sslscan (Debian 2.0.x) XML check of a gateway listener with an ECDSA and an
# RSA certificate. PASS when: the enabled protocols are exactly TLS 1.2 and TLS 1.3; every
# accepted suite is a TLS 1.3 suite or ECDHE + AEAD (AES-GCM / ChaCha20-Poly1305); at least
# one suite of each of TLS1.2-ECDSA, TLS1.2-RSA and TLS 1.3 is accepted (the scan really
# reached the server); every key-exchange group is one the policy lists (X25519, P-256,
# P-384); TLS compression is off; heartbleed is not reported.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_BE <<<"$(free_ports 2)"
gen_cert ec ec localhost 127.0.0.1
gen_cert rsa rsa2048 localhost 127.0.0.1
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

X=$T/sslscan.xml
if ! timeout 60 sslscan --no-colour --xml="$X" "127.0.0.1:$P_GW" >"$T/sslscan.txt" 2>&1 || [ ! -s "$X" ]; then
  fail "sslscan runs" "$(tail -20 "$T/sslscan.txt")"
  finish
fi
pass "sslscan runs"

res=$("$PY" - "$X" <<'PY'
import re, sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot().find("ssltest")
probs = []
protos = [p.get("type").upper() + p.get("version") for p in r.findall("protocol") if p.get("enabled") == "1"]
if sorted(protos) != ["TLS1.2", "TLS1.3"]:
    probs.append("protocols %s (want exactly TLS1.2,TLS1.3)" % ",".join(protos))
ok13 = re.compile(r"^TLS_(AES_(128|256)_GCM|CHACHA20_POLY1305)_SHA(256|384)$")
ok12 = re.compile(r"^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$")
ciphers = [(c.get("sslversion"), c.get("cipher")) for c in r.findall("cipher")]
for v, c in ciphers:
    ok = ok13.match(c) if v == "TLSv1.3" else (v == "TLSv1.2" and ok12.match(c))
    if not ok:
        probs.append("cipher %s:%s is not ECDHE+AEAD / TLS 1.3" % (v, c))
if not any(v == "TLSv1.3" for v, c in ciphers):
    probs.append("no TLS 1.3 suite accepted")
if not any(v == "TLSv1.2" and c.startswith("ECDHE-ECDSA-") for v, c in ciphers):
    probs.append("no TLS 1.2 ECDHE-ECDSA suite accepted")
if not any(v == "TLSv1.2" and c.startswith("ECDHE-RSA-") for v, c in ciphers):
    probs.append("no TLS 1.2 ECDHE-RSA suite accepted")
allowed_groups = ("x25519", "secp256r1", "secp384r1")
groups = sorted({g.get("name") for g in r.findall("group")})
for g in groups:
    if not g.split(" ")[0] in allowed_groups:
        probs.append("group %s not in the policy's groups" % g)
if any(c.get("supported") == "1" for c in r.findall("compression")):
    probs.append("TLS compression")
if any(h.get("vulnerable") == "1" for h in r.findall("heartbleed")):
    probs.append("heartbleed")
for p in probs:
    print("problem:", p)
reneg = r.find("renegotiation")
print("INFO protocols=%s ciphers=%d groups=%s renegotiation=%s" % (
    ",".join(protos), len(ciphers), ";".join(groups),
    "n/a" if reneg is None else "supported=%s secure=%s" % (reneg.get("supported"), reneg.get("secure"))))
for v, c in ciphers:
    print("INFO   %s %s" % (v, c))
PY
)
echo "$res" | sed 's/^/    /'
probs=$(echo "$res" | grep '^problem:')
expect_eq "sslscan: no problems" "" "$probs"
info=$(echo "$res" | grep -m1 '^INFO protocols=' | sed 's/^INFO //')
finish "$info"
