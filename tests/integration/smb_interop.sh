#!/usr/bin/env bash
# smb_interop.sh - the SMB door against real Samba (smbd <- gateway <- smbclient, 127.0.0.1).
#
# Installs samba/smbclient/python3-impacket when missing (needs root: it also creates a
# throwaway unix user, removed at exit), runs smbd from a temp dir by PID, and replays the lab
# matrix (SMB3-FACTS §12, scenarios a..v) plus strict mode, the cipher policy, a guest session,
# hand-made NEGOTIATEs, Samba's plaintext oplock break and a 64 MiB transfer. For each case it
# compares smbclient's outcome (a listing plus `get hello.txt` with the right content) with
# the enforcing gateway's expected outcome, and the gateway's logged drop reason.
#
# The gateway under test:
#   SMB_RELAY_BIN set (ctest does): the test driver intransit-smb-relay-test
#                                   (tests/integration/smb_relay_driver.cc);
#   otherwise:                      `intransit run` with a `protocol: smb` listener (the policy
#                                   keys proposed in smb/README.md; to be finalized).
#
# By hand:  SMB_RELAY_BIN=build/tests/integration/intransit-smb-relay-test \
#           INTRANSIT_BIN=build/gateway/intransit bash tests/integration/smb_interop.sh [NAME...]
. "$(dirname "$0")/lib.sh"
. "$IT_DIR/smb_lib.sh"

if [ "$(id -u)" != 0 ]; then
  fail "runs as root" "needs root for apt and for a throwaway unix user (CI runs as root)"
  finish
fi
smb_install || { fail "samba, smbclient and python3-impacket are installed"; finish; }

read -r SMB_PORT GW_PORT ADMIN_PORT <<<"$(free_ports 3)"
smb_lab_init "$T/lab" || { fail "Samba lab set up"; finish; }
trap 'smb_lab_cleanup; it_cleanup' EXIT
head -c $((64 * 1024 * 1024)) /dev/urandom >"$SMB_LAB/share/big.bin"
chown "$SMB_USER" "$SMB_LAB/share/big.bin"

# ---- the gateway ---------------------------------------------------------------------------
GW_KIND=intransit
[ -n "${SMB_RELAY_BIN:-}" ] && GW_KIND=driver
GW_NAME=""

# gw_smb_start NAME [--strict] [--ciphers LIST]: start the gateway in front of smbd.
gw_smb_start() {
  GW_NAME=$1
  shift
  echo "==== $(date +%T.%N) gateway $GW_NAME: $*" >>"$GW_LOG"
  if [ "$GW_KIND" = driver ]; then
    "$SMB_RELAY_BIN" --listen "127.0.0.1:$GW_PORT" --upstream "127.0.0.1:$SMB_PORT" \
      --log-level info --metrics "$T/metrics.$GW_NAME.txt" "$@" </dev/null >>"$GW_LOG" 2>&1 &
    GW_PID=$!
    track "$GW_PID"
  else
    local mode=standard ciphers="[AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM]"
    while [ $# -gt 0 ]; do
      case $1 in
        --strict) mode=strict ;;
        --ciphers) ciphers="[${2//,/, }]"; shift ;;
      esac
      shift
    done
    cat >"$T/policy.$GW_NAME.yaml" <<EOF
version: 1
admin:
  address: 127.0.0.1:$ADMIN_PORT
listeners:
  - name: smb-test
    address: 127.0.0.1:$GW_PORT
    protocol: smb
    smb:
      backend: 127.0.0.1:$SMB_PORT
      mode: $mode
      ciphers: $ciphers
EOF
    gw_start "$T/policy.$GW_NAME.yaml"
  fi
  if ! wait_port "$GW_PORT" 15 "$GW_PID"; then
    fail "gateway $GW_NAME listens on $GW_PORT" "$(tail -n 20 "$GW_LOG")"
    finish
  fi
}
gw_smb_stop() { gw_stop 20 >/dev/null; }

# ---- one case --------------------------------------------------------------------------------
# case_run NAME EXPECT REASON -- smb_client args: EXPECT ok|fail, REASON the drop label or "".
# smbd must already run with the case's configuration.
case_run() {
  local name=$1 expect=$2 reason=$3
  shift 4
  local before got new
  before=$(wc -l <"$GW_LOG")
  got=$(smb_client "$GW_PORT" "$@")
  sleep 0.2
  new=$(tail -n +"$((before + 1))" "$GW_LOG")
  expect_eq "$name: smbclient through the gateway ($expect)" "$expect" "$got"
  if [ -n "$reason" ]; then
    expect_match "$name: gateway drop reason=$reason" "drop .*reason=$reason( |$)" "$new"
  else
    expect_nomatch "$name: no drop" " drop " "$new"
  fi
  if [ "$got" != "$expect" ]; then
    sed 's/^/      client| /' "$SMB_LAB/log/client.$GW_PORT.out" | grep -v 'blocks of size' | head -6
    printf '%s\n' "$new" | grep -E ' (drop|session|closed) ' | cut -c1-300 | sed 's/^/      gateway| /' | head -6
  fi
}

# The lab matrix: name | smb encrypt | server min protocol | extra globals (;) | share extra |
# smbclient args | through the enforcing gateway | drop reason
MATRIX='
a|required|SMB3_00||||ok|
b|off|SMB3_00||||fail|no_encryption_context
c|required|SMB3_00|||-m SMB2_10|fail|no_smb3_dialect
d|required|SMB3_00|||-m NT1 --option=client\ min\ protocol=NT1|fail|smb1
e|desired|SMB3_00|||--client-protection=encrypt|ok|
f|if_required|SMB3_00||smb encrypt = required||fail|plaintext_message
g|off|SMB2_02|||-m SMB2_10|fail|no_smb3_dialect
h|required|SMB3_00|server smb3 encryption algorithms = AES-256-GCM|||ok|
i|required|SMB3_00|||-m SMB3_00|ok|
j|off|SMB3_00|||--client-protection=encrypt|fail|no_encryption_context
k|desired|SMB3_00||||ok|
l|required|SMB3_00|||--option=client\ smb3\ encryption\ algorithms=AES-128-CCM|ok|
m|required|SMB3_00|server smb3 encryption algorithms = AES-256-CCM|||ok|
n|off|NT1|||-m NT1 --option=client\ min\ protocol=NT1|fail|smb1
o|required|SMB3_00|||--client-protection=off|ok|
p|required|SMB3|||-m SMB3_02|fail|negotiate_failed
q|desired|SMB2_02|||-m SMB2_10|fail|no_smb3_dialect
r|required|SMB2_02|||-m SMB2_10|fail|no_smb3_dialect
s|required|SMB3_00|||-m SMB3_02|ok|
t|required|NT1|||--option=client\ min\ protocol=NT1|fail|smb1
u|if_required|SMB3_00||||fail|plaintext_message
v|if_required|SMB3_00|||--client-protection=encrypt|ok|
'
# Gateway variants: NAME | gateway args | smbd case (a matrix line) | expect | reason
VARIANTS='
a-strict|--strict|a|ok|
v-strict|--strict|v|fail|session_not_encrypted
u-strict|--strict|u|fail|session_not_encrypted
a-only-aes256gcm|--ciphers AES-256-GCM|a|fail|cipher_not_allowed
h-only-aes256gcm|--ciphers AES-256-GCM|h|ok|
i-no-ccm|--ciphers AES-128-GCM,AES-256-GCM|i|fail|no_encryption_offered
'

ONLY=" $* "
selected() { [ "$ONLY" = "  " ] || [[ $ONLY == *" $1 "* ]]; }

# smb_case NAME: start smbd as matrix line NAME says; sets CASE_ARGS, CASE_EXPECT, CASE_REASON.
smb_case() {
  local line mode smin globals share cargs
  line=$(printf '%s\n' "$MATRIX" | grep "^$1|")
  IFS='|' read -r _ mode smin globals share cargs CASE_EXPECT CASE_REASON <<<"$line"
  local -a g=()
  [ -n "$globals" ] && IFS=';' read -r -a g <<<"$globals"
  eval "CASE_ARGS=($cargs)"
  SMB_MIN=$smin SMB_SHARE_EXTRA=$share SMB_MAP_TO_GUEST=never smb_start "$mode" "${g[@]}"
}

T0=$(date +%s)
echo "gateway: $GW_KIND; smbd $(smbd --version) on $SMB_PORT, gateway on $GW_PORT"

# The lab itself works: scenario a straight to smbd.
smb_case a || { fail "smbd starts"; finish; }
expect_eq "lab: smbclient straight to smbd" ok "$(smb_client "$SMB_PORT")"

gw_smb_start standard
while IFS='|' read -r name _; do
  [ -n "$name" ] && selected "$name" || continue
  smb_case "$name" || { fail "$name: smbd starts"; continue; }
  case_run "$name" "$CASE_EXPECT" "$CASE_REASON" -- "${CASE_ARGS[@]}"
done <<<"$MATRIX"

# A guest session (no key, cannot encrypt) is dropped at its final SESSION_SETUP response.
if selected guest; then
  SMB_MIN=SMB3_00 SMB_SHARE_EXTRA="guest ok = yes" SMB_MAP_TO_GUEST="bad user" smb_start if_required
  before=$(wc -l <"$GW_LOG")
  timeout 30 smbclient //127.0.0.1/share -p "$GW_PORT" -U nosuchuser%whatever -c ls \
    >"$T/guest.out" 2>&1
  sleep 0.2
  expect_match "guest: gateway drop reason=guest_session" "drop .*reason=guest_session" \
    "$(tail -n +"$((before + 1))" "$GW_LOG")"
fi

# Hand-made NEGOTIATEs ([lab] probes), against smbd with encrypt = required.
if selected probes; then
  smb_case a
  for p in 311-noenc:closed:no_encryption_offered 311-badcipher:closed:no_encryption_offered \
    300-nocap:closed:no_encryption_offered smb1-multi:closed:smb1 garbage:closed:unknown_protocol \
    311-all:answered: 300-cap:answered:; do
    IFS=: read -r pc want reason <<<"$p"
    before=$(wc -l <"$GW_LOG")
    got=$(timeout 15 "$SMB_PY" "$IT_DIR/smb_probe.py" "$GW_PORT" "$pc" 2>&1)
    sleep 0.1
    expect_match "probe $pc: $want" "^$want" "$got"
    [ -n "$reason" ] && expect_match "probe $pc: reason=$reason" "drop .*reason=$reason( |$)" \
      "$(tail -n +"$((before + 1))" "$GW_LOG")"
  done
fi

# Samba's plaintext oplock break on an encrypted session reaches the client.
if selected oplock; then
  smb_case a
  echo data >"$SMB_LAB/share/oplock.txt"
  chown "$SMB_USER" "$SMB_LAB/share/oplock.txt"
  before=$(wc -l <"$GW_LOG")
  out=$(timeout 60 "$SMB_PY" "$IT_DIR/smb_oplock.py" "$GW_PORT" "$SMB_PORT" "$SMB_USER" \
    "$SMB_PASS" 2>&1)
  expect_match "oplock: the break notification passes the gateway" "break received" "$out"
  expect_nomatch "oplock: no drop" " drop " "$(tail -n +"$((before + 1))" "$GW_LOG")"
fi

# 64 MiB through the gateway: 8 MiB READs in TRANSFORMs, streamed, unchanged.
if selected bulk; then
  smb_case a
  rm -f "$T/big.got"
  timeout 60 smbclient //127.0.0.1/share -p "$GW_PORT" -U "$SMB_USER%$SMB_PASS" \
    -c "get big.bin $T/big.got" >"$T/bulk.out" 2>&1
  expect_true "bulk: 64 MiB get is byte-identical" cmp -s "$T/big.got" "$SMB_LAB/share/big.bin"
fi
# The standard gateway's metrics: from its admin listener, or the driver's dump at exit.
[ "$GW_KIND" = intransit ] && curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" \
  >"$T/metrics.standard.txt"
gw_smb_stop

if [ -f "$T/metrics.standard.txt" ]; then
  m=$(cat "$T/metrics.standard.txt")
  expect_match "metrics: sessions by dialect and cipher" \
    'intransit_smb_sessions_total\{cipher="AES-128-GCM",dialect="3.1.1",listener="smb-test"\} [1-9]' "$m"
  expect_match "metrics: drops by reason" \
    'intransit_smb_drops_total\{listener="smb-test",reason="plaintext_message"\} [1-9]' "$m"
  expect_match "metrics: bytes by direction" \
    'intransit_smb_bytes_total\{direction="server_to_client",listener="smb-test"\} [1-9]' "$m"
fi

# Gateway variants (strict mode, cipher policy): one gateway each.
while IFS='|' read -r name args base expect reason; do
  [ -n "$name" ] && selected "$name" || continue
  # shellcheck disable=SC2086
  gw_smb_start "$name" $args
  smb_case "$base"
  case_run "$name" "$expect" "$reason" -- "${CASE_ARGS[@]}"
  gw_smb_stop
done <<<"$VARIANTS"

smb_stop
finish "gateway=$GW_KIND elapsed=$(($(date +%s) - T0))s"
