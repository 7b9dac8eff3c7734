#!/usr/bin/env bash
# sas_azurite.sh: end to end with Microsoft's own SDK. Azurite (the Azure Storage emulator) is
# the backend on loopback; the gateway fronts it on HTTPS with a route that requires SAS for
# devstoreaccount1 (path style). @azure/storage-blob, pointed at the gateway, mints its own
# tokens and checks (tests/integration/sas/scenarios.mjs): upload, download and list pass with
# an account SAS and a service SAS; a tampered, widened, expired, wrong-IP, wrong-permission,
# wrong-resource-type or plain-http request is refused by the gateway with Azure's code, and a
# refused upload never reaches Azurite (which alone would accept the wrong-IP token: it checks
# neither sip nor HTTPS). The npm packages are installed into tests/integration/sas with
# `npm ci` from the committed package-lock.json.
. "$(dirname "$0")/lib.sh"

SAS_DIR="$IT_DIR/sas"

# ---- node and the npm packages ----
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=600 install -y nodejs npm >"$T/apt.log" 2>&1 ||
    { fail "node and npm are available" "$(tail -5 "$T/apt.log")"; finish; }
fi
if ! cmp -s "$SAS_DIR/package-lock.json" "$SAS_DIR/node_modules/.intransit-lock" 2>/dev/null; then
  if (cd "$SAS_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1; then
    cp "$SAS_DIR/package-lock.json" "$SAS_DIR/node_modules/.intransit-lock"
  else
    fail "npm ci in tests/integration/sas" "$(tail -20 "$T/npm.log")"
    finish
  fi
fi
pass "npm packages installed (@azure/storage-blob, azurite)"

read -r P_GW P_HTTP P_AZ <<<"$(free_ports 3)"
gen_cert gw ec localhost 127.0.0.1

# ---- Azurite (blob service only), loopback, by PID ----
mkdir -p "$T/azurite"
node "$SAS_DIR/node_modules/azurite/dist/src/blob/main.js" \
  --blobHost 127.0.0.1 --blobPort "$P_AZ" --location "$T/azurite" \
  --skipApiVersionCheck --silent --debug "$T/azurite-debug.log" \
  </dev/null >"$T/azurite.out" 2>&1 &
AZ_PID=$!
track "$AZ_PID"
if ! wait_port "$P_AZ" 30 "$AZ_PID"; then
  fail "Azurite starts on $P_AZ" "$(tail -20 "$T/azurite.out")"
  finish "(Azurite did not start)"
fi
pass "Azurite serves on 127.0.0.1:$P_AZ"

# ---- the gateway: SAS route for devstoreaccount1, key from a 0600 file ----
mkdir -p "$T/keys"
printf '%s\n' 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==' >"$T/keys/devstoreaccount1.key1"
chmod 600 "$T/keys/devstoreaccount1.key1"
cat >"$T/policy.yaml" <<EOF_POLICY
version: 1
log_level: info
workers: 1
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:$P_GW
    protocol: https
$(tls_block gw)
  - name: http
    address: 127.0.0.1:$P_HTTP
    protocol: http
    plain_http: refuse
backends:
  - name: azurite
    address: 127.0.0.1:$P_AZ
sas:
  accounts:
    - name: devstoreaccount1
      key1: keys/devstoreaccount1.key1
routes:
  - host: "*"
    path_prefix: /devstoreaccount1
    backend: azurite
    sas:
      account: devstoreaccount1
      style: path
EOF_POLICY
gw_start "$T/policy.yaml"
gw_wait "$P_GW" "$P_HTTP"

# ---- the SDK scenarios ----
(cd "$SAS_DIR" && NODE_EXTRA_CA_CERTS="$T/gw.crt" timeout 180 node scenarios.mjs \
  "https://127.0.0.1:$P_GW" "http://127.0.0.1:$P_HTTP" "http://127.0.0.1:$P_AZ") \
  >"$T/scenarios.jsonl" 2>"$T/scenarios.err"
rc=$?
while IFS= read -r line; do
  res=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(("ok" if d["ok"] else "FAIL")+"\t"+d["check"]+"\t"+json.dumps(d.get("detail")))' "$line" 2>/dev/null) || continue
  IFS=$'\t' read -r verdict name detail <<<"$res"
  if [ "$verdict" = ok ]; then pass "$name"; else fail "$name" "$detail"; fi
done <"$T/scenarios.jsonl"
[ -s "$T/scenarios.err" ] && sed 's/^/    node: /' "$T/scenarios.err" | head -20
expect_eq "scenarios.mjs exits 0" 0 "$rc"

# ---- what the gateway logged and counted ----
expect_nomatch "the gateway log never holds a signature" 'sig=|&sig|sig%3D' "$(cat "$GW_LOG")"
expect_match "a refusal is logged with its reason and the token's fields" \
  'reason=(signature_mismatch|ip_mismatch|permission_mismatch).*sv=' "$(cat "$GW_LOG")"
gw_stop
finish
