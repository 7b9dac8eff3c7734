#!/usr/bin/env bash
# prometheus.sh: the observability deliverables against real peers.
#
# Installs Debian's `prometheus` when missing (promtool + server; its service is never
# started: a temporary policy-rc.d denies it, and if one runs anyway after the install it is
# stopped). Then:
#   - promtool check rules / test rules on deploy/prometheus (every alert fires on synthetic
#     series), promtool check config on deploy/prometheus/prometheus.yml;
#   - a gateway with an admin listener, an https listener (a 30-day and a 5-day certificate),
#     a live backend (backend.py), a dead one, and an smb listener; HTTPS traffic with curl
#     (2xx, 404, 502), refused handshakes (TLS 1.1, a non-PFS suite, plain HTTP);
#   - `promtool check metrics` on a scrape of /metrics must print nothing;
#   - a real Prometheus on loopback (a temp copy of deploy's scrape config: the test's port,
#     1 s intervals, deploy's rules) scrapes the gateway; its HTTP API must show the counters
#     moved by exactly what the test sent, the gauges (backend up/down, certificate expiry,
#     policy hash) right, the recording rules evaluating, BackendDown and
#     CertificateExpiringSoon active for the right series only;
#   - every query of deploy/grafana/intransit-dashboard.json evaluates in that Prometheus, and
#     every metric name the deploy files use is a family the gateway registers.
. "$(dirname "$0")/lib.sh"

T0=$(date +%s)
ROOT=$(cd "$IT_DIR/../.." && pwd)
DEPLOY=$ROOT/deploy
PC=("$PY" "$IT_DIR/prom_check.py")

# ---- Debian's prometheus, without its service ------------------------------------------------
install_prometheus() {
  command -v promtool >/dev/null && [ -x /usr/bin/prometheus ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    fail "prometheus installed" "promtool/prometheus missing and not root: apt-get install prometheus"
    finish
  fi
  local rc_added=0 was_listening=0
  port_listening 9090 && was_listening=1
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# added by intransit tests/integration/prometheus.sh during apt-get install\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    rc_added=1
  fi
  echo "    installing prometheus (Debian package)"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -qq
             --no-install-recommends install prometheus)
  "${apt[@]}" >"$T/apt.log" 2>&1 ||
    { apt-get -o DPkg::Lock::Timeout=600 update -qq >>"$T/apt.log" 2>&1; "${apt[@]}" >>"$T/apt.log" 2>&1; }
  local rc=$?
  [ $rc_added = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ $rc -ne 0 ]; then fail "apt-get install prometheus" "$(tail -20 "$T/apt.log")"; finish; fi
  # The package's service must not be left running by us (policy-rc.d should have stopped it).
  if [ -d /run/systemd/system ]; then
    if systemctl is-active --quiet prometheus 2>/dev/null; then
      echo "    the package started its prometheus service; stopping it"
      systemctl stop prometheus
    fi
  elif [ $was_listening = 0 ] && port_listening 9090; then
    echo "    the package started its prometheus service; stopping it"
    service prometheus stop >/dev/null 2>&1
  fi
}
install_prometheus
PROMTOOL=$(command -v promtool)
PROMETHEUS=/usr/bin/prometheus
echo "    $($PROMTOOL --version 2>&1 | head -1)"

# ---- static checks of deploy/prometheus -------------------------------------------------------
out=$("$PROMTOOL" check rules "$DEPLOY"/prometheus/rules/*.yml 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass "promtool check rules deploy/prometheus/rules/*.yml ($(grep -o '[0-9]* rules found' <<<"$out" | paste -sd, -))"
else fail "promtool check rules deploy/prometheus/rules/*.yml" "$out"; fi
out=$("$PROMTOOL" test rules "$DEPLOY"/prometheus/tests/*.test.yml 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass "promtool test rules: every alert fires on its synthetic series, and only there"
else fail "promtool test rules deploy/prometheus/tests" "$out"; fi
out=$("$PROMTOOL" check config "$DEPLOY/prometheus/prometheus.yml" 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass "promtool check config deploy/prometheus/prometheus.yml"
else fail "promtool check config deploy/prometheus/prometheus.yml" "$out"; fi

# ---- gateway ----------------------------------------------------------------------------------
read -r P_GW P_ADM P_BE P_DEAD P_SMB P_SMBDEAD P_PROM <<<"$(free_ports 7)"
gen_cert ec ec localhost 127.0.0.1
gen_cert soon ec soon.test
# gen_cert makes 30-day certificates; this one expires in 5 days (inside the 14-day alert).
OPENSSL_CONF=/dev/null openssl req -new -x509 -key "$T/soon.key" -config "$T/soon.cnf" \
  -days 5 -sha256 -out "$T/soon.crt" 2>>"$T/soon.err"
cat >"$T/policy.yaml" <<EOF
version: 1
log_level: debug
workers: 1
admin:
  address: 127.0.0.1:$P_ADM
$(limits_block)
listeners:
  - name: https
    address: 127.0.0.1:$P_GW
    protocol: https
$(tls_block ec soon)
  - name: smb
    address: 127.0.0.1:$P_SMB
    protocol: smb
    smb:
      backend: 127.0.0.1:$P_SMBDEAD
      connect_timeout_ms: 1000
backends:
  - name: app
    address: 127.0.0.1:$P_BE
  - name: dead
    address: 127.0.0.1:$P_DEAD
    connect_timeout_ms: 1000
routes:
  - name: down
    path_prefix: /down
    backend: dead
  - name: main
    path_prefix: /
    backend: app
EOF
be_start "$P_BE"
gw_start "$T/policy.yaml"
gw_wait "$P_GW" "$P_ADM"
U="https://127.0.0.1:$P_GW"
M="http://127.0.0.1:$P_ADM/metrics"

# Warm-up: one of each kind, so that every series the assertions read exists before
# Prometheus's first scrape (increase() needs a sample before the change).
for path in "ok?warm" "nope?warm" "down/x?warm"; do "${CURL[@]}" -o /dev/null "$U/$path" 2>/dev/null; done
sclient "$T/warm11.out" -connect "127.0.0.1:$P_GW" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
sclient "$T/warmrsa.out" -connect "127.0.0.1:$P_GW" -tls1_2 -cipher AES128-GCM-SHA256
curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$P_GW/?warm" 2>/dev/null
"${CURL[@]}" --tls-max 1.2 -o /dev/null "$U/ok?warm12" 2>/dev/null
# An SMB connection that sends a non-SMB frame: the SMB door drops it (its families appear).
"$PY" - "$P_SMB" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"\x00\x00\x00\x08GARBAGE!")
try:
    s.recv(100)
except OSError:
    pass
PY

# ---- promtool check metrics --------------------------------------------------------------------
lint_scrape() {  # lint_scrape NAME: scrape /metrics into $T/NAME.txt and lint it
  local code
  code=$(curl -s --max-time 5 -D "$T/$1.headers" -o "$T/$1.txt" -w '%{http_code}' "$M")
  expect_eq "$1: /metrics answers 200" 200 "$code"
  expect_imatch "$1: /metrics is text format 0.0.4" '^content-type: text/plain; version=0\.0\.4' "$(cat "$T/$1.headers")"
  local lint; lint=$("$PROMTOOL" check metrics <"$T/$1.txt" 2>&1)
  if [ -z "$lint" ]; then pass "$1: promtool check metrics is clean ($(grep -c '^# TYPE' "$T/$1.txt") families, $(grep -vc '^#' "$T/$1.txt") samples)"
  else fail "$1: promtool check metrics is clean" "$lint"; fi
}
lint_scrape scrape-warm
expect_match "the scrape has the SMB families" '^# TYPE intransit_smb_drops_total counter' "$(cat "$T/scrape-warm.txt")"

# ---- a real Prometheus on loopback with deploy's scrape config ---------------------------------
mkdir -p "$T/prom" "$T/tsdb"
cp -r "$DEPLOY/prometheus/rules" "$T/prom/rules"
sed -E -e 's/^(\s*)(scrape_interval|evaluation_interval): .*/\1\2: 1s/' \
       -e 's/^(\s*)scrape_timeout: .*/\1scrape_timeout: 1s/' \
       -e "s/^(\\s*)- targets: \\[.*\\]/\\1- targets: [\"127.0.0.1:$P_ADM\"]/" \
       "$DEPLOY/prometheus/prometheus.yml" >"$T/prom/prometheus.yml"
expect_match "rendered scrape config targets the test's admin port" "targets: \\[\"127.0.0.1:$P_ADM\"\\]" "$(cat "$T/prom/prometheus.yml")"
out=$("$PROMTOOL" check config "$T/prom/prometheus.yml" 2>&1) || fail "promtool check config (rendered copy)" "$out"
"$PROMETHEUS" --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
  --web.listen-address="127.0.0.1:$P_PROM" --log.level=warn </dev/null >"$T/prometheus.log" 2>&1 &
PROM_PID=$!; track "$PROM_PID"
if ! wait_port "$P_PROM" 20 "$PROM_PID"; then
  fail "prometheus starts on 127.0.0.1:$P_PROM" "$(tail -20 "$T/prometheus.log")"; finish
fi
PU="http://127.0.0.1:$P_PROM"
pq() { "${PC[@]}" query "$PU" "$1"; }
# pv EXPR: the value of a one-sample result ("none" when empty).
pv() { local r; r=$(pq "$1" | head -1); echo "${r%% *}" | grep . || echo none; }
# expect_ge DESC MIN VALUE / expect_num DESC AWK_COND VALUE
expect_ge() {
  if [ "$3" != none ] && awk -v a="$3" -v b="$2" 'BEGIN{exit !(a+0 >= b+0)}'; then pass "$1 ($3 >= $2)"
  else fail "$1" "expected >= $2, observed: $3"; fi
}
expect_num() {
  if [ "$3" != none ] && awk -v v="$3" "BEGIN{exit !($2)}"; then pass "$1 ($3)"
  else fail "$1" "expected $2, observed: $3"; fi
}
if "${PC[@]}" wait "$PU" 'count_over_time(up{job="intransit"}[1m]) >= 3' 20; then
  pass "prometheus scrapes the gateway (3 scrapes)"
else
  fail "prometheus scrapes the gateway" "$(curl -s "$PU/api/v1/targets" | head -c 1500)"$'\n'"$(tail -10 "$T/prometheus.log")"
  finish
fi
expect_eq "up{job=\"intransit\"} == 1" 1 "$(pv 'up{job="intransit"}')"

# Baseline: the values Prometheus holds before the traffic.
base2=$(pv 'sum(intransit_http_requests_total{status_class="2xx"})')
base4=$(pv 'sum(intransit_http_requests_total{status_class="4xx"})')
base5=$(pv 'sum(intransit_http_requests_total{status_class="5xx"})')
t_base=$(date +%s)
echo "    baseline: 2xx=$base2 4xx=$base4 5xx=$base5"

# ---- traffic --------------------------------------------------------------------------------
N_OK=20 N_404=5 N_502=3 N_TLS11=2 N_NOPFS=1 N_PLAIN=1
# codes URL_GLOB: "COUNT STATUS ..." of the requests curl makes for one URL glob (one connection).
codes() {
  "${CURL[@]}" -o /dev/null -w '%{http_code}\n' "$1" 2>/dev/null | sort | uniq -c |
    awk '{printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2}'
}
expect_eq "$N_OK GET /ok -> 200" "$N_OK 200" "$(codes "$U/ok?i=[1-$N_OK]")"
expect_eq "$N_404 GET /nope -> 404 (backend)" "$N_404 404" "$(codes "$U/nope?i=[1-$N_404]")"
expect_eq "$N_502 GET /down/x -> 502 (dead backend)" "$N_502 502" "$(codes "$U/down/x?i=[1-$N_502]")"
for _ in $(seq 1 "$N_TLS11"); do
  sclient "$T/tls11.out" -connect "127.0.0.1:$P_GW" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
  hs_ok "$T/tls11.out" && fail "TLS 1.1 handshake refused" "$(hs_summary "$T/tls11.out")"
done
sclient "$T/nopfs.out" -connect "127.0.0.1:$P_GW" -tls1_2 -cipher AES128-GCM-SHA256
hs_ok "$T/nopfs.out" && fail "non-PFS handshake refused" "$(hs_summary "$T/nopfs.out")"
plain=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_GW/plain" 2>/dev/null)
echo "    plain HTTP on the TLS port -> $plain"
"${CURL[@]}" -o /dev/null "$U/ok?h2" --http2 2>/dev/null
t_traffic=$(date +%s)

# Wait until Prometheus has scraped the result of all of it.
want2=$(awk -v b="$base2" -v n="$N_OK" 'BEGIN{print b+n+1}')  # +1: the --http2 request
if "${PC[@]}" wait "$PU" "sum(intransit_http_requests_total{status_class=\"2xx\"}) >= $want2" 15 &&
   "${PC[@]}" wait "$PU" "sum(intransit_tls_handshake_failures_total) >= 6" 10; then
  pass "prometheus scraped the traffic"
else
  fail "prometheus scraped the traffic" "2xx now $(pv 'sum(intransit_http_requests_total{status_class="2xx"})'), want $want2"
fi
sleep 2  # two more scrapes; the rules evaluate every second

# Every query below is evaluated at one instant, so that the window keeps covering the
# baseline sample however long the checks take.
PROM_TIME=$(date +%s); export PROM_TIME
W=$(( PROM_TIME - t_base + 3 ))s
echo "    window $W (baseline at -$(( PROM_TIME - t_base ))s, traffic took $((t_traffic - t_base))s)"
now2=$(pv 'sum(intransit_http_requests_total{status_class="2xx"})')
expect_eq "2xx counter moved by exactly the requests sent ($N_OK + 1)" "$((N_OK + 1))" \
  "$(awk -v a="$now2" -v b="$base2" 'BEGIN{print a-b}')"
expect_eq "4xx counter moved by exactly $N_404" "$N_404" \
  "$(awk -v a="$(pv 'sum(intransit_http_requests_total{status_class="4xx"})')" -v b="$base4" 'BEGIN{print a-b}')"
expect_eq "5xx counter moved by exactly $N_502" "$N_502" \
  "$(awk -v a="$(pv 'sum(intransit_http_requests_total{status_class="5xx"})')" -v b="$base5" 'BEGIN{print a-b}')"
expect_ge "increase(2xx[$W]) >= requests made" "$((N_OK + 1))" \
  "$(pv "sum(increase(intransit_http_requests_total{status_class=\"2xx\"}[$W]))")"
expect_ge "increase(4xx[$W]) >= 404s made" "$N_404" \
  "$(pv "sum(increase(intransit_http_requests_total{status_class=\"4xx\"}[$W]))")"
expect_ge "increase(5xx{route=\"down\"}[$W]) >= 502s made" "$N_502" \
  "$(pv "sum(increase(intransit_http_requests_total{status_class=\"5xx\",route=\"down\"}[$W]))")"
expect_ge "requests are labelled by route and method" "$N_OK" \
  "$(pv "sum(increase(intransit_http_requests_total{listener=\"https\",route=\"main\",method=\"GET\",status_class=\"2xx\"}[$W]))")"
expect_ge "refused TLS 1.1 handshakes counted (unsupported_protocol)" "$N_TLS11" \
  "$(pv "sum(increase(intransit_tls_handshake_failures_total{reason=\"unsupported_protocol\"}[$W]))")"
expect_ge "refused non-PFS handshake counted (no_shared_cipher)" "$N_NOPFS" \
  "$(pv "sum(increase(intransit_tls_handshake_failures_total{reason=\"no_shared_cipher\"}[$W]))")"
expect_ge "plain HTTP on the TLS port counted (handshake failure plain_http)" "$N_PLAIN" \
  "$(pv "sum(increase(intransit_tls_handshake_failures_total{reason=\"plain_http\"}[$W]))")"
expect_ge "plain HTTP on the TLS port counted (refusal plain_http_on_tls_port)" "$N_PLAIN" \
  "$(pv "sum(increase(intransit_http_refusals_total{reason=\"plain_http_on_tls_port\"}[$W]))")"
expect_ge "completed handshakes counted" 4 "$(pv "sum(increase(intransit_tls_handshakes_total[$W]))")"
expect_match "handshakes labelled by version and cipher (TLS 1.2)" \
  'cipher="(TLS_)?ECDHE[-_]ECDSA[-_].*version="TLSv1\.2"' "$(pq 'intransit_tls_handshakes_total{version="TLSv1.2"}')"
expect_match "handshakes labelled by version and cipher (TLS 1.3)" 'cipher="TLS_.*version="TLSv1\.3"' \
  "$(pq 'intransit_tls_handshakes_total{version="TLSv1.3"}')"
expect_ge "request latency histogram observed every answered request" "$((N_OK + 1 + N_404 + N_502))" \
  "$(pv "sum(increase(intransit_http_request_duration_seconds_count[$W]))")"
expect_ge "backend latency histogram observed the proxied requests" "$((N_OK + 1 + N_404))" \
  "$(pv "sum(increase(intransit_backend_response_seconds_count{backend=\"app\"}[$W]))")"
expect_ge "dead backend: connect failures counted" "$N_502" \
  "$(pv "sum(increase(intransit_backend_errors_total{backend=\"dead\",reason=\"backend_connect_failed\"}[$W]))")"
expect_eq "intransit_backend_up{backend=\"app\"} == 1" 1 "$(pv 'intransit_backend_up{backend="app"}')"
expect_eq "intransit_backend_up{backend=\"dead\"} == 0" 0 "$(pv 'intransit_backend_up{backend="dead"}')"
expect_ge "bytes in counted" 1000 "$(pv "sum(increase(intransit_bytes_total{direction=\"in\"}[$W]))")"
expect_num "certificate localhost: not_after in the future (~30 days)" 'v > 29 && v < 31' \
  "$(pv '(intransit_tls_certificate_not_after_seconds{listener="https",certificate="localhost",key_type="ECDSA P-256"} - time()) / 86400')"
expect_num "certificate soon.test: not_after in ~5 days" 'v > 4 && v < 6' \
  "$(pv '(intransit_tls_certificate_not_after_seconds{certificate="soon.test"} - time()) / 86400')"
expect_eq "intransit_policy_info carries the policy's sha256" \
  "1 sha256=$(sha256sum "$T/policy.yaml" | cut -c1-64)" \
  "$(pq 'intransit_policy_info' | sed -E 's/^([0-9.]+) .*sha256="([0-9a-f]+)".*/\1 sha256=\2/')"
expect_eq "intransit_policy_reloads_total{result=\"success\"} == 1 (the first load)" 1 \
  "$(pv 'intransit_policy_reloads_total{result="success"}')"
expect_num "intransit_policy_loaded_timestamp_seconds is the start time" 'v > 0 && v < 120' \
  "$(pv 'time() - intransit_policy_loaded_timestamp_seconds')"
expect_eq "intransit_build_info == 1" 1 "$(pv 'sum(intransit_build_info)')"
expect_ge "SMB door: the garbage connection was dropped" 1 "$(pv 'sum(intransit_smb_drops_total{listener="smb"})')"

unset PROM_TIME

# ---- rules on live data ---------------------------------------------------------------------
rules=$("${PC[@]}" rules "$PU")
expect_eq "prometheus loaded every rule of deploy's rules" \
  "$(grep -cE '^\s+- (record|alert):' "$DEPLOY"/prometheus/rules/*.yml | awk -F: '{s+=$NF} END{print s}')" \
  "$(grep -c . <<<"$rules")"
bad=$(awk '$3 != "ok"' <<<"$rules")
if [ -z "$bad" ]; then pass "every rule evaluates without error"; else fail "every rule evaluates without error" "$bad"; fi
expect_num "recorded 5xx ratio of listener https" "v > 0.05 && v < 0.5" \
  "$(pv 'job_listener:intransit_http_5xx:ratio_rate5m{job="intransit",listener="https"}')"
expect_num "recorded handshake failure ratio of listener https" "v > 0 && v < 1" \
  "$(pv 'job_listener:intransit_tls_handshake_failures:ratio_rate5m{listener="https"}')"
expect_num "recorded p99 request latency" "v > 0 && v < 30" \
  "$(pv 'job_listener:intransit_http_request_duration_seconds:p99_5m{listener="https"}')"
expect_num "recorded certificate days left (soon.test)" "v > 4 && v < 6" \
  "$(pv 'instance:intransit_tls_certificate_expiry:days{certificate="soon.test"}')"
alerts=$("${PC[@]}" alerts "$PU")
expect_match "IntransitBackendDown is active for backend dead" '^IntransitBackendDown (pending|firing) .*backend="dead"' "$alerts"
expect_nomatch "IntransitBackendDown is not active for backend app" '^IntransitBackendDown .*backend="app"' "$alerts"
expect_match "IntransitCertificateExpiringSoon is active for soon.test" '^IntransitCertificateExpiringSoon (pending|firing) .*certificate="soon\.test"' "$alerts"
expect_nomatch "no certificate alert for the 30-day certificate" '^IntransitCertificateExpiring.*certificate="localhost"' "$alerts"
expect_nomatch "IntransitScrapeFailed is not active" '^IntransitScrapeFailed ' "$alerts"
echo "    active alerts: $(awk '{print $1"/"$2}' <<<"$alerts" | sort | uniq -c | tr -s ' \n' ' ')"

# ---- Grafana dashboard, metric names ----------------------------------------------------------
if out=$("${PC[@]}" dashboard "$PU" "$DEPLOY/grafana/intransit-dashboard.json" 2>&1); then pass "dashboard: structure ok, every query evaluates ($(tail -1 <<<"$out"))"
else fail "dashboard: structure ok, every query evaluates" "$out"; fi
lint_scrape scrape-final
if out=$("${PC[@]}" names "$T/scrape-final.txt" "$ROOT" "$DEPLOY"/prometheus/rules/*.yml \
  "$DEPLOY/grafana/intransit-dashboard.json" 2>&1); then pass "every metric the deploy files use is a gateway family ($(tail -1 <<<"$out"))"
else fail "every metric the deploy files use is a gateway family" "$out"; fi

if gw_alive; then pass "gateway alive"; else fail "gateway alive"; fi
kill -TERM "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null
finish "elapsed=$(( $(date +%s) - T0 ))s"
