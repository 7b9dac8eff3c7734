#!/usr/bin/env bash
# h2_attacks.sh: the nine HTTP/2 resource-exhaustion checks of h2_attacks.py (rapid reset,
# CONTINUATION floods, HPACK bomb, SETTINGS/PING/empty-DATA floods, stream limit, zero
# window) against the gateway with the default HTTP/2 limits, backend.py behind it. After each
# check a fresh h2 GET /ok must get 200 within 2 s and the gateway's RSS may have grown by at
# most 64 MiB. Then the gateway must still be alive.
# Needs Debian python3-h2, python3-hyperframe and python3-hpack.
. "$(dirname "$0")/lib.sh"

# The Python that has the h2 packages (Debian's, also when another python3 comes first).
PYH2=""
for p in "$PY" /usr/bin/python3; do
  if "$p" -c 'import h2, hpack, hyperframe' 2>/dev/null; then PYH2=$p; break; fi
done
[ -n "$PYH2" ] || { fail "python3-h2, python3-hpack, python3-hyperframe are installed"; finish; }

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
$(tls_block ec)
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

"$PYH2" "$IT_DIR/h2_attacks.py" --port "$P_GW" --pid "$GW_PID" --json "$T/h2_attacks.json" \
  >"$T/attacks.out" 2>&1
rc=$?
sed 's/^/    /' "$T/attacks.out" | cut -c1-400
while read -r verdict name rest; do
  case $verdict in
    PASS) pass "$name";;
    FAIL) fail "$name" "$rest";;
  esac
done < <(grep -E '^(PASS|FAIL) ' "$T/attacks.out")
summary=$(grep -E '^H2-ATTACKS ' "$T/attacks.out" | tail -1)
expect_match "h2_attacks.py: 9 checks, none failed" '^H2-ATTACKS PASS checks=9 fail=0$' "$summary"
[ $rc = 0 ] || fail "h2_attacks.py exit status" "exit $rc"

gw_alive && pass "gateway alive after the attacks" || fail "gateway alive after the attacks"
# Reported, not yet checked: the gateway logs/counts an h2 connection error only when a later
# read follows the GOAWAY, and never when nghttp2 gives up without one (floods, CONTINUATION),
# so these attacks leave no h2_goaway line. Turn this into a check once that is fixed.
echo "    note: h2_goaway log lines: $(grep -c 'h2_goaway' "$GW_LOG") (expected >= 5 once connection errors are logged)"
finish "attacks=$(grep -c '^PASS ' "$T/attacks.out")/9"
