#!/usr/bin/env bash
# drain.sh: graceful stop. SIGTERM with 10 requests in flight (/slow?ms=3000, established and
# already at the backend): within 1 s new connections are refused, all 10 complete 200, the
# process exits before drain_timeout_ms + 2 s. SIGINT with 3 short requests in flight and one
# longer than drain_timeout_ms: new connections refused within 1 s, the 3 complete 200, the
# process exits before drain_timeout_ms + 2 s although the long one has not finished.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW2 P_BE <<<"$(free_ports 3)"
gen_cert ec ec localhost 127.0.0.1
be_start "$P_BE"
write_policy() {  # FILE PORT DRAIN_MS
  cat >"$1" <<EOF
version: 1
log_level: debug
workers: 1
$(limits_block "$3")
listeners:
  - name: https
    address: 127.0.0.1:$2
    protocol: https
$(tls_block ec)
backends:
  - name: app
    address: 127.0.0.1:$P_BE
    response_timeout_ms: 30000
routes:
  - host: "*"
    path_prefix: /
    backend: app
EOF
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }

# drain_run SIGNAL PORT DRAIN_MS N_OK OK_MS N_LONG LONG_MS
drain_run() {
  local sig=$1 port=$2 drain=$3 nok=$4 okms=$5 nlong=$6 longms=$7 i tag=$1
  write_policy "$T/$tag.yaml" "$port" "$drain"
  gw_start "$T/$tag.yaml"
  gw_wait "$port"
  local pid=$GW_PID pids=()
  for i in $(seq 1 "$nok"); do
    "${CURL[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/slow?ms=$okms&$tag=$i" >"$T/$tag.ok.$i" 2>/dev/null &
    pids+=($!); track "$!"
  done
  for i in $(seq 1 "$nlong"); do
    "${CURL[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/slow?ms=$longms&$tag=long$i" >"$T/$tag.long.$i" 2>/dev/null &
    pids+=($!); track "$!"
  done
  local want=$((nok + nlong)) est=0 atbe=0
  for i in $(seq 1 100); do
    est=$(ss -Htn state established "( dport = :$port )" | wc -l)
    atbe=$(grep -c "\"target\": \"/slow?ms=[0-9]*&$tag=" "$BE_LOG")
    [ "$est" -ge "$want" ] && [ "$atbe" -ge "$want" ] && break
    sleep 0.05
  done
  if [ "$est" -ge "$want" ] && [ "$atbe" -ge "$want" ]; then
    pass "$sig: $want requests in flight (established: $est, at the backend: $atbe)"
  else
    fail "$sig: $want requests in flight" "established: $est, at the backend: $atbe"
  fi
  local t0 logpos; logpos=$(wc -c <"$GW_LOG"); t0=$(now)
  kill -"$sig" "$pid"
  # New connections must be refused within 1 s.
  local refused_at=""
  for i in $(seq 1 20); do
    if ! port_accepts "$port"; then refused_at=$(since "$t0"); break; fi
    sleep 0.05
  done
  if [ -n "$refused_at" ]; then pass "$sig: new connections refused after ${refused_at}s"; else
    fail "$sig: new connections refused within 1 s" "127.0.0.1:$port still accepted a TCP connection 1 s after $sig (listening: $(port_listening "$port" && echo yes || echo no))"
  fi
  code=$(curl -sk --http1.1 --max-time 3 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/ok" 2>/dev/null)
  expect_eq "$sig: a new request gets no response (connection refused)" 000 "${code:-000}"
  # The process must exit within drain_timeout_ms + 2 s.
  local limit; limit=$(awk -v d="$drain" 'BEGIN{print d / 1000 + 2}')
  local exited_at=""
  while awk -v a="$(since "$t0")" -v l="$limit" 'BEGIN{exit !(a < l)}'; do
    if ! kill -0 "$pid" 2>/dev/null; then exited_at=$(since "$t0"); break; fi
    sleep 0.05
  done
  if [ -n "$exited_at" ]; then
    wait "$pid"; local rc=$?
    pass "$sig: process exited ${exited_at}s after the signal (limit ${limit}s), exit code $rc"
  else
    fail "$sig: process exits within drain_timeout_ms + 2 s (${limit}s)" "still running $(since "$t0")s after $sig"
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fi
  GW_PID=""
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  local ok=0
  for i in $(seq 1 "$nok"); do [ "$(cat "$T/$tag.ok.$i")" = 200 ] && ok=$((ok + 1)); done
  expect_eq "$sig: all $nok in-flight requests completed with 200" "$nok" "$ok"
  [ "$ok" = "$nok" ] || echo "    codes: $(cat "$T/$tag".ok.* | tr '\n' ' ')"
  for i in $(seq 1 "$nlong"); do
    echo "    $sig: request longer than the drain timeout ended with '$(cat "$T/$tag.long.$i")' (cut at the drain timeout)"
  done
  local seg; seg=$(tail -c +$((logpos + 1)) "$GW_LOG")
  if printf '%s' "$seg" | grep -qiE 'drain'; then pass "$sig: the log shows the drain"; else
    fail "$sig: the log shows the drain" "$(printf '%s' "$seg" | tail -5)"; fi
}

drain_run TERM "$P_GW" 8000 10 3000 0 0
drain_run INT "$P_GW2" 3000 3 1500 1 9000
finish
