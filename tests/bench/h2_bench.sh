#!/usr/bin/env bash
# h2_bench.sh - the HTTPS door side by side with nghttpx and HAProxy as 1-core TLS
# terminators in front of the same plaintext HTTP/1.1 backend (nginx, one worker, /ok -> 200
# "ok"), with the same ECDSA P-256 certificate and the same TLS policy (TLS 1.2 + 1.3,
# ECDHE + AEAD only, no session tickets).
#
#   proxy under test  --taskset CPU0--  (intransit `workers: 1`, nghttpx `workers=1`,
#                                        HAProxy `nbthread 1`)
#   load generator + backend nginx  --taskset CPU1--
#
#   h2: h2load -t1 -c50 -m10 -D 8 --warm-up-time=1 https://127.0.0.1:PORT/ok
#   h1: wrk -t1 -c50 -d8 https://127.0.0.1:PORT/ok      (HTTP/1.1 keep-alive, TLS 1.3)
#
# Rounds are interleaved and the order rotates every round (A B C, B C A, C A B ...), so load
# from other jobs on the machine spreads over every proxy. For each proxy: median and
# min-max req/s, the proxy's CPU % during the run (all its threads), errors, and the ratio
# intransit/peer of the medians. Prints a Markdown table for the README and the command line.
# Not part of ctest. Needs root: installs nginx, haproxy, nghttp2-proxy, nghttp2-client, wrk
# with apt when missing; every process is started here and stopped by PID.
#
#   INTRANSIT_BIN=build/gateway/intransit ROUNDS=3 bash tests/bench/h2_bench.sh
#   env: ROUNDS (3) DUR (8 s) PROXIES ("intransit nghttpx haproxy") TESTS ("h2 h1")
#        PROXY_CPU (0) LOAD_CPU (1) KEEP=1 (keep the work dir: configs, raw outputs)
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-8}
PROXIES=${PROXIES:-"intransit nghttpx haproxy"}
TESTS=${TESTS:-"h2 h1"}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
INTRANSIT_BIN=${INTRANSIT_BIN:-$HERE/../../build/gateway/intransit}
CMDLINE="INTRANSIT_BIN=$INTRANSIT_BIN ROUNDS=$ROUNDS DUR=$DUR PROXIES=\"$PROXIES\" TESTS=\"$TESTS\" bash tests/bench/h2_bench.sh"
log() { echo "[$(date +%T)] $*" >&2; }

[ -x "$INTRANSIT_BIN" ] || { echo "INTRANSIT_BIN: $INTRANSIT_BIN is not executable" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (proxy on CPU$PROXY_CPU, load on CPU$LOAD_CPU)" >&2; exit 2; }

# ---- tools (apt, idempotent) ----
need=()
for pair in nginx:nginx haproxy:haproxy nghttpx:nghttp2-proxy h2load:nghttp2-client wrk:wrk \
            taskset:util-linux openssl:openssl curl:curl; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "missing ${need[*]} and not root to install them" >&2; exit 2; }
  log "installing ${need[*]}"
  apt-get -o DPkg::Lock::Timeout=600 install -y "${need[@]}" >&2 || exit 2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

WORK=$(mktemp -d /tmp/h2-bench.XXXXXX)
declare -A PID     # name -> pid we started
cleanup() {
  local n
  for n in "${!PID[@]}"; do stop_one "$n"; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- ports, certificate, configs ----
read -r P_BACKEND P_intransit P_nghttpx P_haproxy <<<"$(python3 - <<'PY'
import random, socket
got, socks = [], []
while len(got) < 4:
    p = random.randint(20000, 31999)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close(); continue
    if p not in got:
        socks.append(s); got.append(p)
print(*got)
PY
)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.key" 2>/dev/null
chmod 600 "$WORK/ec.key"
OPENSSL_CONF=/dev/null openssl req -new -x509 -key "$WORK/ec.key" -subj /CN=localhost -days 7 -sha256 \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out "$WORK/ec.crt" 2>/dev/null || exit 1
cat "$WORK/ec.crt" "$WORK/ec.key" >"$WORK/ec.pem"
chmod 600 "$WORK/ec.pem"
mkdir -p "$WORK/state"
render() {  # template port out
  sed -e "s#@WORK@#$WORK#g" -e "s#@PORT@#$2#g" -e "s#@BACKEND_PORT@#$P_BACKEND#g" "$1" >"$3"
}
render "$HERE/conf/backend-nginx.conf.in" 0 "$WORK/backend-nginx.conf"
render "$HERE/conf/haproxy.cfg.in" "$P_haproxy" "$WORK/haproxy.cfg"
render "$HERE/conf/nghttpx.conf.in" "$P_nghttpx" "$WORK/nghttpx.conf"
render "$HERE/conf/intransit.yaml.in" "$P_intransit" "$WORK/intransit.yaml"
cp "$HERE/conf/server-openssl.cnf" "$WORK/server-openssl.cnf"
"$INTRANSIT_BIN" check "$WORK/intransit.yaml" --state-dir "$WORK/state" >"$WORK/check.out" 2>&1 \
  || { cat "$WORK/check.out" >&2; exit 1; }

# ---- processes ----
start_one() {  # name
  local n=$1
  case $n in
    backend)   taskset -c "$LOAD_CPU" nginx -c "$WORK/backend-nginx.conf" -p "$WORK/" >>"$WORK/$n.out" 2>&1 & ;;
    intransit) taskset -c "$PROXY_CPU" "$INTRANSIT_BIN" run --policy "$WORK/intransit.yaml" \
                 --state-dir "$WORK/state" >>"$WORK/$n.out" 2>&1 & ;;
    nghttpx)   OPENSSL_CONF=$WORK/server-openssl.cnf taskset -c "$PROXY_CPU" nghttpx \
                 --conf="$WORK/nghttpx.conf" >>"$WORK/$n.out" 2>&1 & ;;
    haproxy)   OPENSSL_CONF=$WORK/server-openssl.cnf taskset -c "$PROXY_CPU" haproxy \
                 -f "$WORK/haproxy.cfg" -db >>"$WORK/$n.out" 2>&1 & ;;
  esac
  PID[$n]=$!
}
stop_one() {  # name: the process we started, then any child it left (nghttpx/nginx workers)
  local n=$1 p=${PID[$1]:-} kids i k
  [ -n "$p" ] || return 0
  kids=$(pgrep -P "$p" 2>/dev/null | tr '\n' ' ')
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  for k in $kids; do
    for i in $(seq 1 50); do kill -0 "$k" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$k" 2>/dev/null
  done
  unset "PID[$n]"
}
# measured: the process doing the proxying (nghttpx and nginx: the worker child).
measured() {
  local n=$1 p=${PID[$1]} w i
  case $n in intransit|haproxy) echo "$p"; return;; esac
  for i in $(seq 1 50); do w=$(pgrep -P "$p" | head -1); [ -n "$w" ] && { echo "$w"; return; }; sleep 0.1; done
  echo "$p"
}
wait_port() {
  local i
  for i in $(seq 1 100); do
    [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}
port_of() { local v="P_$1"; echo "${!v}"; }

start_one backend
wait_port "$P_BACKEND" || { echo "backend did not start: $(cat "$WORK/backend.out")" >&2; exit 1; }
for n in $PROXIES; do
  start_one "$n"
  wait_port "$(port_of "$n")" || { echo "$n did not start: $(tail -5 "$WORK/$n.out")" >&2; exit 1; }
done
sleep 0.5

# Every proxy answers 200 "ok" over h2 and over HTTP/1.1 before anything is measured.
for n in $PROXIES; do
  for v in --http2 --http1.1; do
    got=$(curl -sk "$v" --max-time 5 -w ' %{http_code} %{http_version}' "https://127.0.0.1:$(port_of "$n")/ok")
    case $got in "ok 200 2"|"ok 200 1.1") ;; *) echo "$n $v: unexpected answer '$got'" >&2; exit 1;; esac
  done
done
log "up: backend=${PID[backend]} $(for n in $PROXIES; do printf '%s=%s(port %s) ' "$n" "${PID[$n]}" "$(port_of "$n")"; done)"
{ echo "date: $(date -Is)"; uname -r; lscpu | grep -E 'Model name|^CPU\(s\)'; "$INTRANSIT_BIN" --version 2>&1 | head -1
  nginx -v 2>&1; haproxy -v | head -1; nghttpx --version; h2load --version | head -1; wrk -v 2>&1 | head -1
  cat /proc/loadavg; } >"$WORK/env.txt" 2>&1

# ---- measurement ----
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A VAL CPU ERRS LGCPU BECPU PERCORE
run_one() {  # test proxy round
  local t=$1 n=$2 r=$3 port out w b w0 b0 w1 b1 t0 t1 wall v e
  port=$(port_of "$n")
  out="$WORK/$t.$n.r$r.txt"
  w=$(measured "$n"); b=$(measured backend)
  w0=$(ticks "$w"); b0=$(ticks "$b"); t0=$(date +%s.%N)
  case $t in
    h2) /usr/bin/time -f '%U %S' -o "$out.time" timeout $((DUR + 30)) taskset -c "$LOAD_CPU" \
          h2load -t1 -c50 -m10 -D "$DUR" --warm-up-time=1 "https://127.0.0.1:$port/ok" >"$out" 2>&1 ;;
    h1) /usr/bin/time -f '%U %S' -o "$out.time" timeout $((DUR + 30)) taskset -c "$LOAD_CPU" \
          wrk -t1 -c50 -d"${DUR}s" "https://127.0.0.1:$port/ok" >"$out" 2>&1 ;;
  esac
  t1=$(date +%s.%N); w1=$(ticks "$w"); b1=$(ticks "$b")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
  # sum: adds every number on the lines it reads (0 when there are none).
  sum() { awk '{for (i = 1; i <= NF; i++) s += $i} END {print s + 0}'; }
  case $t in
    h2) v=$(sed -nE 's/^finished in [^,]*, ([0-9.]+) req\/s.*/\1/p' "$out" | head -1)
        e=$(grep -q '^requests: ' "$out" || echo 1
            sed -nE 's/^requests: [0-9]+ total, [0-9]+ started, [0-9]+ done, [0-9]+ succeeded, ([0-9]+) failed, ([0-9]+) errored, ([0-9]+) timeout.*/\1 \2 \3/p' "$out"
            sed -nE 's/^status codes: [0-9]+ 2xx, ([0-9]+) 3xx, ([0-9]+) 4xx, ([0-9]+) 5xx.*/\1 \2 \3/p' "$out")
        e=$(echo "$e" | sum) ;;
    h1) v=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' "$out" | head -1)
        e=$(sed -nE -e 's/^ *Non-2xx or 3xx responses: ([0-9]+).*/\1/p' \
                    -e 's/^ *Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+).*/\1 \2 \3 \4/p' "$out" | sum) ;;
  esac
  v=${v:-0}
  VAL[$t.$n]+="$v "
  ERRS[$t.$n]=$(( ${ERRS[$t.$n]:-0} + ${e:-0} ))
  CPU[$t.$n]+="$(awk -v d=$((w1 - w0)) -v hz="$HZ" -v s="$wall" 'BEGIN{printf "%.0f", d / hz / s * 100}') "
  # h2load's req/s covers the measured DUR seconds, its CPU the whole run (warm-up included):
  # scale by the CPU fraction of the whole run, which the warm-up second only dilutes a little.
  PERCORE[$t.$n]+="$(awk -v v="$v" -v d=$((w1 - w0)) -v hz="$HZ" -v s="$wall" 'BEGIN{c = d / hz / s; if (c > 0) printf "%.0f", (v + 0) / c; else print 0}') "
  BECPU[$t.$n]+="$(awk -v d=$((b1 - b0)) -v hz="$HZ" -v s="$wall" 'BEGIN{printf "%.0f", d / hz / s * 100}') "
  LGCPU[$t.$n]+="$(awk -v s="$wall" '{printf "%.0f", ($1 + $2) / s * 100}' "$out.time" 2>/dev/null) "
  log "  $t $n r$r: $v req/s  errors=${e:-0}  proxy_cpu=$(echo "${CPU[$t.$n]}" | awk '{print $NF}')%  loadgen_cpu=$(echo "${LGCPU[$t.$n]}" | awk '{print $NF}')%  backend_cpu=$(echo "${BECPU[$t.$n]}" | awk '{print $NF}')%"
  sleep 1
}
rotate() {  # round -> the proxies rotated by round-1
  local arr=($PROXIES) k i out=()
  k=${#arr[@]}
  for i in $(seq 0 $((k - 1))); do out+=("${arr[$(( (i + $1 - 1) % k ))]}"); done
  echo "${out[@]}"
}

log "warm-up"
for n in $PROXIES; do
  timeout 30 taskset -c "$LOAD_CPU" h2load -c10 -m10 -n 20000 "https://127.0.0.1:$(port_of "$n")/ok" >/dev/null 2>&1
  timeout 30 taskset -c "$LOAD_CPU" wrk -t1 -c10 -d1s "https://127.0.0.1:$(port_of "$n")/ok" >/dev/null 2>&1
done
for r in $(seq 1 "$ROUNDS"); do
  order=$(rotate "$r")
  log "round $r/$ROUNDS: $order"
  for t in $TESTS; do
    for n in $order; do run_one "$t" "$n" "$r"; done
  done
done

# ---- report ----
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }
peers=()
for n in $PROXIES; do [ "$n" = intransit ] || peers+=("$n"); done
label() {
  case $1 in
    h2) echo "HTTP/2 req/s (h2load -c50 -m10)";;
    h1) echo "HTTP/1.1 keep-alive req/s (wrk -c50, TLS 1.3)";;
  esac
}
{
  echo
  echo "Median [min-max] of $ROUNDS interleaved rounds of ${DUR} s; proxy on CPU$PROXY_CPU, load generator + backend nginx on CPU$LOAD_CPU; $(lscpu | sed -nE 's/^Model name: *//p' | head -1)."
  echo
  hdr="| | $(for n in $PROXIES; do printf '%s | ' "$n"; done)"
  sep="|---|$(for n in $PROXIES; do printf -- '---|'; done)"
  if [[ " $PROXIES " == *" intransit "* ]]; then
    for p in "${peers[@]}"; do hdr+="intransit/$p | "; sep+="---|"; done
  fi
  echo "${hdr% }"
  echo "$sep"
  for t in $TESTS; do
    row="| $(label "$t") | "
    for n in $PROXIES; do
      row+="$(echo "${VAL[$t.$n]}" | median | awk '{printf "%.0f", $1}') [$(echo "${VAL[$t.$n]}" | minmax)] | "
    done
    if [[ " $PROXIES " == *" intransit "* ]]; then
      mi=$(echo "${VAL[$t.intransit]}" | median)
      for p in "${peers[@]}"; do
        row+="$(awk -v a="$mi" -v b="$(echo "${VAL[$t.$p]}" | median)" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else printf "-" }') | "
      done
    fi
    echo "${row% }"
    row="| proxy CPU % during $t | "
    for n in $PROXIES; do row+="$(echo "${CPU[$t.$n]}" | median | awk '{printf "%.0f", $1}') | "; done
    [[ " $PROXIES " == *" intransit "* ]] && for p in "${peers[@]}"; do row+=" | "; done
    echo "${row% }"
    # req/s per busy proxy core: the comparable figure when the proxy did not get a whole CPU
    row="| $t req/s per busy proxy core | "
    for n in $PROXIES; do row+="$(echo "${PERCORE[$t.$n]}" | median | awk '{printf "%.0f", $1}') | "; done
    if [[ " $PROXIES " == *" intransit "* ]]; then
      mi=$(echo "${PERCORE[$t.intransit]}" | median)
      for p in "${peers[@]}"; do
        row+="$(awk -v a="$mi" -v b="$(echo "${PERCORE[$t.$p]}" | median)" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else printf "-" }') | "
      done
    fi
    echo "${row% }"
    row="| errors or non-2xx during $t | "
    for n in $PROXIES; do row+="${ERRS[$t.$n]:-0} | "; done
    [[ " $PROXIES " == *" intransit "* ]] && for p in "${peers[@]}"; do row+=" | "; done
    echo "${row% }"
  done
  echo
  echo "Load generator / backend CPU %, median per run:$(for t in $TESTS; do for n in $PROXIES; do
        printf ' %s %s %s/%s;' "$t" "$n" "$(echo "${LGCPU[$t.$n]}" | median)" "$(echo "${BECPU[$t.$n]}" | median)"; done; done)"
  echo
  echo "Commands: h2 \`h2load -t1 -c50 -m10 -D $DUR --warm-up-time=1 https://127.0.0.1:PORT/ok\`;" \
       "h1 \`wrk -t1 -c50 -d${DUR}s https://127.0.0.1:PORT/ok\`; both \`taskset -c $LOAD_CPU\`."
  echo "Versions: $(nghttpx --version | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(nginx -v 2>&1 | sed 's/.*: //') backend; $(h2load --version | head -1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)."
  echo "Run: $CMDLINE"
} | tee "$WORK/summary.md"
