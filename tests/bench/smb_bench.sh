#!/usr/bin/env bash
# smb_bench.sh - throughput of the SMB door: a 1 GiB `get` (smbclient -> smbd, 3.1.1,
# AES-128-GCM, server smb encrypt = required) straight to smbd, through the relay
# (intransit-smb-relay-test, the same smb::Relay the gateway runs) and through
# `socat -b 1048576`. Rounds are interleaved (the order rotates each round) so that load from
# other jobs on the machine spreads over all three; medians and ratios to direct are printed.
# Not part of ctest. Needs root (throwaway user); installs samba, smbclient and socat if missing.
#
#   SMB_RELAY_BIN=build/tests/integration/intransit-smb-relay-test \
#     bash tests/bench/smb_bench.sh [ROUNDS=5] [SIZE_MIB=1024]
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/smb_lib.sh"
ROUNDS=${1:-5}
SIZE_MIB=${2:-1024}
RELAY_BIN=${SMB_RELAY_BIN:-$HERE/../../build/tests/integration/intransit-smb-relay-test}
[ -x "$RELAY_BIN" ] || { echo "SMB_RELAY_BIN: $RELAY_BIN is not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }
smb_install || exit 2
command -v socat >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y socat >&2 || exit 2

WORK=$(mktemp -d /tmp/smb-bench.XXXXXX)
SMB_PORT=${SMB_PORT:-19475}
RELAY_PORT=$((SMB_PORT + 1))
SOCAT_PORT=$((SMB_PORT + 2))
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  smb_lab_cleanup
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
smb_lab_init "$WORK/lab" itsmbbench >/dev/null || exit 1
echo "creating a ${SIZE_MIB} MiB random file" >&2
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$SMB_LAB/share/bigfile"
chown "$SMB_USER" "$SMB_LAB/share/bigfile"
cat "$SMB_LAB/share/bigfile" >/dev/null  # page cache
smb_start required "server smb3 encryption algorithms = AES-128-GCM" || exit 1

"$RELAY_BIN" --listen 127.0.0.1:$RELAY_PORT --upstream 127.0.0.1:$SMB_PORT --log-level warn \
  >"$WORK/relay.log" 2>&1 &
PIDS+=($!)
socat -b 1048576 TCP-LISTEN:$SOCAT_PORT,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:$SMB_PORT &
PIDS+=($!)
for p in $RELAY_PORT $SOCAT_PORT; do
  for _ in $(seq 1 100); do [ -n "$(ss -Hltn "( sport = :$p )")" ] && break; sleep 0.05; done
done

# get_once PORT: prints MiB/s as smbclient measured the transfer, or 0 on failure.
get_once() {
  local out kbs
  out=$(timeout 300 smbclient //127.0.0.1/share -p "$1" -U "$SMB_USER%$SMB_PASS" \
    -c 'get bigfile /dev/null' 2>&1)
  kbs=$(printf '%s\n' "$out" | sed -n 's/.*(\([0-9.]*\) KiloBytes\/sec).*/\1/p' | head -1)
  if [ -z "$kbs" ]; then echo 0; printf '%s\n' "$out" >>"$WORK/errors.log"; return; fi
  awk -v k="$kbs" 'BEGIN { printf "%.1f", k / 1024 }'
}

# cpu_s PID: CPU seconds used by PID and its reaped children (socat forks one per connection).
cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"
}

NAMES=(direct relay socat)
PORTS=($SMB_PORT $RELAY_PORT $SOCAT_PORT)
declare -A RES
get_once $SMB_PORT >/dev/null  # warm-up: smbd forks, caches
relay_cpu0=$(cpu_s "${PIDS[0]}")
socat_cpu0=$(cpu_s "${PIDS[1]}")
for r in $(seq 1 "$ROUNDS"); do
  line="round $r:"
  for k in 0 1 2; do
    i=$(((k + r) % 3))
    v=$(get_once "${PORTS[$i]}")
    RES[${NAMES[$i]}]+="$v "
    line+=" ${NAMES[$i]}=$v"
  done
  echo "$line MiB/s"
done

relay_rss=$(awk '/^VmHWM:/ {print $2}' "/proc/${PIDS[0]}/status" 2>/dev/null)
sleep 0.5  # let socat reap its last child
per_gib() { awk -v a="$1" -v b="$2" -v n="$ROUNDS" -v m="$SIZE_MIB" 'BEGIN { printf "%.2f", (b - a) / (n * m / 1024) }'; }
relay_cpu=$(per_gib "$relay_cpu0" "$(cpu_s "${PIDS[0]}")")
socat_cpu=$(per_gib "$socat_cpu0" "$(cpu_s "${PIDS[1]}")")
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { tr ' ' '\n' | grep . | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }
direct=$(echo "${RES[direct]}" | median)
echo
echo "${SIZE_MIB} MiB get, 3.1.1 AES-128-GCM, $ROUNDS interleaved rounds (MiB/s as smbclient reports)"
printf '%-34s %10s %14s %10s\n' path median range "vs direct"
for n in direct relay socat; do
  m=$(echo "${RES[$n]}" | median)
  label=$n
  case $n in
    relay) label="intransit smb::Relay" ;;
    socat) label="socat -b 1048576" ;;
  esac
  printf '%-34s %10s %14s %9.3fx\n' "$label" "$m" "$(echo "${RES[$n]}" | minmax)" \
    "$(awk -v a="$m" -v b="$direct" 'BEGIN { print (b > 0) ? a / b : 0 }')"
done
echo "CPU per GiB relayed: relay ${relay_cpu} s, socat ${socat_cpu} s (user+sys, load-independent)"
echo "relay peak RSS: ${relay_rss:-?} KiB; drops logged by the relay: $(grep -c ' drop ' "$WORK/relay.log")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$WORK/errors.log" ] && { echo "failed gets:"; head -20 "$WORK/errors.log"; }
exit 0
