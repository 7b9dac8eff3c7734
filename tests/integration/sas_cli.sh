#!/usr/bin/env bash
# sas_cli.sh: `intransit sas sign` mints account and service SAS tokens from a key file (mode
# 0600 enforced); `intransit sas verify` prints the gateway's one-line JSON verdict for a URL
# and exits 0 (allowed) or 1 (refused) with Azure's status and code: valid tokens, a tampered
# signature, an expired token, a wrong client IP, a missing permission, plain http, a revoked
# stored access policy; key rotation (a token signed with key2); the Azurite well-known key's
# known answer; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
KEY2=$("$PY" -c 'import base64; print(base64.b64encode(bytes((i*37+11)&255 for i in range(64))).decode())')
mkdir -p "$T/keys"
printf '%s\n' "$KEY" >"$T/keys/k1"; chmod 600 "$T/keys/k1"
printf '%s\n' "$KEY2" >"$T/keys/k2"; chmod 400 "$T/keys/k2"
cp "$T/keys/k1" "$T/keys/open"; chmod 644 "$T/keys/open"
gen_cert gw ec localhost
SIGN=("$INTRANSIT_BIN" sas sign --account devstoreaccount1)

# ---- sign: the Azurite known answer (account SAS, 2020-12-06) ----
tok=$("${SIGN[@]}" --key-file "$T/keys/k1" --services btqf --resource-types sco --permissions rwdlacup \
  --start 2022-04-16T06:31:48Z --expiry 2022-04-17T06:31:48Z --ip 0.0.0.0-255.255.255.255 \
  --protocol https,http --version 2020-12-06 2>&1); rc=$?
expect_eq "sign (account SAS) exits 0" 0 "$rc"
expect_match "sign reproduces Azurite's known signature" 'sig=QB5jKCJTqn7jcPidkkXAazBQBL6VDMY7HumUIM78ROE%3D' "$tok"
out=$("${SIGN[@]}" --key-file "$T/keys/open" --services b --resource-types o --permissions r --expiry +1h 2>&1); rc=$?
expect_eq "sign refuses a key file readable by others (exit 2)" 2 "$rc"
expect_match "... and says chmod 600" 'chmod 600' "$out"
out=$("${SIGN[@]}" --key-file "$T/keys/k1" --permissions r --expiry +1h 2>&1); rc=$?
expect_eq "sign without account or service flags exits 2" 2 "$rc"

cat >"$T/policy.yaml" <<EOF_POLICY
version: 1
listeners:
  - name: https
    address: 127.0.0.1:18443
    protocol: https
    tls:
      certificates:
        - cert: $T/gw.crt
          key: $T/gw.key
backends:
  - name: storage
    address: 127.0.0.1:18444
sas:
  accounts:
    - name: devstoreaccount1
      key1: keys/k1
      key2: keys/k2
  stored_policies:
    - account: devstoreaccount1
      container: photos
      id: readers
      permissions: rl
      expiry: "2030-01-01T00:00:00Z"
routes:
  - host: "*"
    path_prefix: /devstoreaccount1
    backend: storage
    sas:
      account: devstoreaccount1
EOF_POLICY
U=https://127.0.0.1:18443/devstoreaccount1
NOW=2026-06-15T12:00:00Z
verify() { "$INTRANSIT_BIN" sas verify --policy "$T/policy.yaml" --now "$NOW" "$@" 2>&1; }

acct=$("${SIGN[@]}" --key-file "$T/keys/k1" --services b --resource-types sco --permissions rl \
  --start 2026-06-15T11:00:00Z --expiry 2026-06-15T13:00:00Z --ip 203.0.113.0-203.0.113.255 --protocol https)
out=$(verify --url "$U/photos/a.txt?$acct" --method GET --client-ip 203.0.113.9); rc=$?
expect_eq "verify: valid account SAS exits 0" 0 "$rc"
expect_match "verify: prints {\"allow\":true...}" '^\{"allow":true,"reason":"allowed","operation":"GetBlob"\}$' "$out"
out=$(verify --url "$U/photos?restype=container&comp=list&$acct" --method GET --client-ip 203.0.113.9); rc=$?
expect_match "verify: list blobs allowed" '"allow":true.*"operation":"ListBlobs"' "$out"
bad=$(printf '%s' "$acct" | sed -E 's/sig=(.....)./sig=\1Z/')
out=$(verify --url "$U/photos/a.txt?$bad" --method GET --client-ip 203.0.113.9); rc=$?
expect_eq "verify: tampered signature exits 1" 1 "$rc"
expect_match "verify: ... 403 AuthenticationFailed signature_mismatch" '^\{"allow":false,"status":403,"code":"AuthenticationFailed","reason":"signature_mismatch"' "$out"
out=$(NOW=2026-06-15T13:00:01Z verify --url "$U/photos/a.txt?$acct" --method GET --client-ip 203.0.113.9); rc=$?
expect_match "verify: expired token: AuthenticationFailed expired" '"code":"AuthenticationFailed","reason":"expired"' "$out"
out=$(verify --url "$U/photos/a.txt?$acct" --method GET --client-ip 198.51.100.1); rc=$?
expect_match "verify: wrong client IP: 403 AuthorizationSourceIPMismatch" '"status":403,"code":"AuthorizationSourceIPMismatch"' "$out"
out=$(verify --url "$U/photos/a.txt?$acct" --method PUT --client-ip 203.0.113.9); rc=$?
expect_match "verify: upload with sp=rl: AuthorizationPermissionMismatch" '"code":"AuthorizationPermissionMismatch".*"operation":"PutBlob"' "$out"
out=$(verify --url "http://127.0.0.1:18443/devstoreaccount1/photos/a.txt?$acct" --method GET --client-ip 203.0.113.9); rc=$?
expect_match "verify: plain http: 400 AccountRequiresHttps" '"status":400,"code":"AccountRequiresHttps"' "$out"
out=$(verify --url "$U/photos/a.txt?$acct" --scheme http --method GET --client-ip 203.0.113.9); rc=$?
expect_match "verify: --scheme http: 400 AccountRequiresHttps" '"code":"AccountRequiresHttps"' "$out"
out=$(verify --url "$U/photos/a.txt?$acct" --method GET --client-ip 203.0.113.9 --header "Authorization: SharedKey x:y"); rc=$?
expect_match "verify: an Authorization header is refused" '"reason":"authorization_header"' "$out"
expect_nomatch "verify output never echoes the signature" "$(printf '%s' "$acct" | sed -nE 's/.*sig=([^&]{12}).*/\1/p')" "$out"

# key rotation: a token signed with key2
acct2=$("${SIGN[@]}" --key-file "$T/keys/k2" --services b --resource-types o --permissions r \
  --start 2026-06-15T11:00:00Z --expiry 2026-06-15T13:00:00Z)
out=$(verify --url "$U/photos/a.txt?$acct2" --method GET --client-ip 192.0.2.1); rc=$?
expect_eq "verify: token signed with key2 is allowed" 0 "$rc"

# service SAS through a stored access policy; then the policy is removed (revoked)
svc=$("${SIGN[@]}" --key-file "$T/keys/k1" --container photos --identifier readers)
out=$(verify --url "$U/photos/x/y.txt?$svc" --method GET --client-ip 192.0.2.1); rc=$?
expect_eq "verify: service SAS via stored policy 'readers' is allowed" 0 "$rc"
sed -i '/stored_policies:/,/expiry:/d' "$T/policy.yaml"
out=$(verify --url "$U/photos/x/y.txt?$svc" --method GET --client-ip 192.0.2.1); rc=$?
expect_match "verify: after removing the policy the token is refused (unknown_policy)" '"reason":"unknown_policy"' "$out"
svcb=$("${SIGN[@]}" --key-file "$T/keys/k1" --container photos --blob "a b.txt" --permissions r \
  --start 2026-06-15T11:00:00Z --expiry 2026-06-15T13:00:00Z --content-type text/plain)
out=$(verify --url "$U/photos/a%20b.txt?$svcb" --method HEAD --client-ip 192.0.2.1); rc=$?
expect_eq "verify: blob SAS with rsct on HEAD is allowed" 0 "$rc"

# usage and policy errors exit 2
verify --url "$U/a" --method GET >/dev/null; expect_eq "verify without --client-ip exits 2" 2 "$?"
chmod 644 "$T/keys/k1"
out=$(verify --url "$U/photos/a.txt?$acct" --method GET --client-ip 203.0.113.9); rc=$?
expect_eq "verify: policy with an open key file exits 2" 2 "$rc"
expect_match "... with file:line:col at key1" 'policy\.yaml:[0-9]+:[0-9]+: sas\.accounts\[0\]\.key1: .*chmod 600' "$out"
finish
