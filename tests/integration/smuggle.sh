#!/usr/bin/env bash
# smuggle.sh: the request-smuggling battery (smuggle_cases.py: 69 HTTP/1.1 and 14 HTTP/2
# framing-ambiguity cases) through the HTTPS door to a strict HTTP/1.1 origin
# (h11_backend.py, Debian python3-h11) that logs every request it parsed. Strict: every
# ambiguous request is refused (HTTP/1.1: a 4xx and the connection closed; HTTP/2: a 4xx or
# RST_STREAM/GOAWAY), nothing SMUGGLED reaches the origin, the origin parses everything the
# gateway forwards, and a victim on a fresh connection gets its own response after every case.
# Needs Debian python3-h2 and python3-h11.
. "$(dirname "$0")/lib.sh"

PYH2=""
for p in "$PY" /usr/bin/python3; do
  if "$p" -c 'import h2, h11, hpack, hyperframe' 2>/dev/null; then PYH2=$p; break; fi
done
[ -n "$PYH2" ] || { fail "python3-h2 and python3-h11 are installed"; finish; }

read -r P_GW P_BE <<<"$(free_ports 2)"
gen_cert ec ec localhost 127.0.0.1
ORIGIN_LOG="$T/origin.jsonl"
"$PYH2" -u "$IT_DIR/h11_backend.py" --port "$P_BE" --log "$ORIGIN_LOG" </dev/null >"$T/origin.out" 2>&1 &
BE_PID=$!
track "$BE_PID"
wait_port "$P_BE" 10 "$BE_PID" || { fail "h11_backend.py starts" "$(cat "$T/origin.out")"; finish; }

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
  - name: origin
    address: 127.0.0.1:$P_BE
routes:
  - host: "*"
    path_prefix: /sm
    backend: origin
EOF
gw_start "$T/policy.yaml"
gw_wait "$P_GW"

"$PYH2" "$IT_DIR/smuggle_cases.py" --port "$P_GW" --backend-log "$ORIGIN_LOG" --json "$T/smuggle.json" \
  >"$T/smuggle.out" 2>&1
rc=$?
while read -r verdict proto name rest; do
  case $verdict in
    PASS) pass "$proto $name";;
    FAIL) fail "$proto $name" "$rest";;
  esac
done < <(grep -E '^(PASS|FAIL) ' "$T/smuggle.out")
summary=$(grep -E '^SMUGGLE ' "$T/smuggle.out" | tail -1)
[ -n "$summary" ] || { fail "smuggle_cases.py ran" "$(tail -20 "$T/smuggle.out")"; finish; }
echo "    $summary"
expect_match "83 cases (69 HTTP/1.1, 14 HTTP/2), all passed" ' cases=83 h1=69 h2=14 pass=83 fail=0 ' "$summary"
expect_match "backend_desync=0, nothing SMUGGLED reached the origin, no parse error there" \
  'backend_desync=0 origin_smuggled=0 origin_parse_errors=0$' "$summary"
[ $rc = 0 ] || fail "smuggle_cases.py exit status" "exit $rc"
gw_alive && pass "gateway alive" || fail "gateway alive"
finish "$(echo "$summary" | grep -oE 'pass=[0-9]+ fail=[0-9]+ backend_desync=[0-9]+')"
