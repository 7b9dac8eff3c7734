#!/bin/bash
# IKEv2 interop with strongSwan 5.9.8 (kernel-libipsec), both directions, in two network
# namespaces of its own (the test bed of ../shared/interop/strongswan, rebuilt here):
#
#   ns A  10.231.0.1  site 10.231.1.0/24   intransit-ike-driver (ike::Manager + IkeEndpoint)
#   ns B  10.231.0.2  site 10.231.2.0/24   strongSwan charon (swanctl, vici)
#
# Scenarios (each checks both sides: the driver's events and swanctl --list-sas / charon's
# log):
#   1 psk, strongSwan initiates; strongSwan rekeys the CHILD SA (PFS) and the IKE SA,
#     then deletes it                                       (gateway as responder)
#   2 psk, the gateway initiates, rekeys CHILD (PFS) and IKE SA, and deletes
#                                                           (gateway as initiator)
#   3 ECDSA P-384 certificates, strongSwan initiates, IKE_AUTH fragmented (RFC 7383)
#   4 ECDSA P-384 certificates, the gateway initiates, fragmented
#   5 INVALID_KE_PAYLOAD: strongSwan accepts only x25519, the gateway offers ECP-384 first
#
# ESP is not checked (the data plane is a later issue): strongSwan installs its SAs in
# libipsec, the driver prints what it would hand to the data plane.
#
# Needs root (namespaces). Installs strongSwan with apt when missing. Environment:
# IKE_DRIVER the driver binary (default: next to INTRANSIT_BIN or in the usual build dirs),
# IT_KEEP=1 keeps the temp dir with all logs, IT_TIMEOUT the watchdog.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -z "${IKE_DRIVER:-}" ]; then
  for c in "${INTRANSIT_BIN:+$(dirname "${INTRANSIT_BIN}")/../ipsec/intransit-ike-driver}" \
           /tmp/b-ike/ipsec/intransit-ike-driver "$HERE/../../build/ipsec/intransit-ike-driver"; do
    [ -n "$c" ] && [ -x "$c" ] && { IKE_DRIVER=$c; break; }
  done
fi
# lib.sh wants INTRANSIT_BIN; here the binary under test is the driver.
export INTRANSIT_BIN="${IKE_DRIVER:-${INTRANSIT_BIN:-}}"
export IT_TIMEOUT="${IT_TIMEOUT:-600}"
. "$HERE/lib.sh"
GW_LOG="$T/driver.log"

if [ "$(id -u)" != 0 ]; then
  echo "INTEGRATION $IT_NAME SKIP: needs root for network namespaces"
  exit 0
fi

# ---- strongSwan ---------------------------------------------------------------------------
if [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null || ! command -v pki >/dev/null; then
  echo "installing strongSwan (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
    --no-install-recommends strongswan-charon strongswan-swanctl libcharon-extra-plugins \
    libstrongswan-standard-plugins libstrongswan-extra-plugins strongswan-pki \
    > "$T/apt.log" 2>&1 || { echo "INTEGRATION $IT_NAME FAIL: apt-get install strongswan"; tail -5 "$T/apt.log"; exit 1; }
fi
SWAN_VERSION=$(swanctl --version 2>&1 | grep -m1 -o "strongSwan [0-9.]*")

# ---- namespaces (own names, removed on exit) -------------------------------------------------
NSA="itsa$$"; NSB="itsb$$"; VA="ita$$"; VB="itb$$"
ipsec_cleanup() {
  it_cleanup
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
}
trap ipsec_cleanup EXIT
ip netns add "$NSA" && ip netns add "$NSB" || { echo "INTEGRATION $IT_NAME FAIL: ip netns add"; exit 1; }
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB"
ip -n "$NSA" addr add 10.231.0.1/24 dev "$VA"
ip -n "$NSB" addr add 10.231.0.2/24 dev "$VB"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up
ip -n "$NSA" addr add 10.231.1.1/24 dev lo
ip -n "$NSB" addr add 10.231.2.1/24 dev lo

# ---- credentials ----------------------------------------------------------------------------
PSK=0x6b1f0c2d9e8a4b7c3f5e1d0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c
P="$T/pki"; mkdir -p "$P"
exec 3>&2 2>/dev/null  # pki and swanctl print TPM plugin noise on stderr
pki --gen --type ecdsa --size 384 --outform pem > "$P/ca.key"
pki --self --ca --lifetime 30 --in "$P/ca.key" --type ecdsa --digest sha384 \
    --dn "C=XX, O=intransit-test, CN=interop CA" --outform pem > "$P/ca.crt"
for s in a b; do
  ip=10.231.0.$([ $s = a ] && echo 1 || echo 2)
  pki --gen --type ecdsa --size 384 --outform pem > "$P/gw$s.key"
  pki --pub --in "$P/gw$s.key" --type ecdsa |
    pki --issue --lifetime 30 --cacert "$P/ca.crt" --cakey "$P/ca.key" --digest sha384 \
        --dn "C=XX, O=intransit-test, CN=gw$s.ikx.test" --san "gw$s.ikx.test" --san "$ip" \
        --flag serverAuth --outform pem > "$P/gw$s.crt"
done
exec 2>&3 3>&-

# ---- strongSwan side B ----------------------------------------------------------------------
B="$T/B"; mkdir -p "$B/run" "$B/swanctl/x509" "$B/swanctl/x509ca" "$B/swanctl/ecdsa"
cp "$P/gwb.crt" "$B/swanctl/x509/"; cp "$P/ca.crt" "$B/swanctl/x509ca/"
cp "$P/gwb.key" "$B/swanctl/ecdsa/"; chmod 600 "$B/swanctl/ecdsa/gwb.key"
write_strongswan_conf() { # $1 = fragment_size
  cat > "$B/strongswan.conf" <<EOF
charon {
  load = random nonce openssl curve25519 kdf pem pkcs1 pkcs8 x509 revocation constraints pubkey kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  install_routes = no
  fragment_size = $1
  send_vendor_id = no
  retransmit_timeout = 2.0
  plugins {
    vici { socket = unix://$B/run/charon.vici }
    socket-default { use_ipv6 = no }
  }
  filelog {
    main { path = $B/run/charon.log
           time_format = %T
           time_add_ms = yes
           ike_name = yes
           append = no
           flush_line = yes
           default = 1
           ike = 2
           enc = 1
           cfg = 1
           chd = 2 }
  }
  syslog { daemon { default = -1 } }
}
swanctl { socket = unix://$B/run/charon.vici }
EOF
}
# swanctl.conf: the peer's short lifetimes drive the rekeys in scenario 1; in scenario 2 the
# gateway drives them and strongSwan keeps its defaults.
write_swanctl_conf() { # $1 child rekey, $2 ike rekey, $3 ike proposals
  cat > "$B/swanctl/swanctl.conf" <<EOF
connections {
  psk {
    version = 2
    local_addrs = 10.231.0.2
    remote_addrs = 10.231.0.1
    proposals = $3
    encap = yes
    dpd_delay = 0s
    rekey_time = $2
    rand_time = 0s
    local { auth = psk
            id = 10.231.0.2 }
    remote { auth = psk
             id = 10.231.0.1 }
    children {
      net { local_ts = 10.231.2.0/24
            remote_ts = 10.231.1.0/24
            esp_proposals = aes256gcm16-ecp384, aes256gcm16-x25519
            rekey_time = $1
            rand_time = 0s
            start_action = none }
    }
  }
  cert {
    version = 2
    local_addrs = 10.231.0.2
    remote_addrs = 10.231.0.1
    proposals = $3
    encap = yes
    rekey_time = $2
    rand_time = 0s
    send_certreq = yes
    send_cert = always
    local { auth = pubkey
            certs = gwb.crt
            id = gwb.ikx.test }
    remote { auth = pubkey
             id = gwa.ikx.test
             cacerts = ca.crt }
    children {
      net { local_ts = 10.231.2.0/24
            remote_ts = 10.231.1.0/24
            esp_proposals = aes256gcm16-ecp384, aes256gcm16-x25519
            rekey_time = $1
            rand_time = 0s
            start_action = none }
    }
  }
}
secrets {
  ike-ab { id-a = 10.231.0.1
           id-b = 10.231.0.2
           secret = $PSK }
}
EOF
}
sw() { STRONGSWAN_CONF="$B/strongswan.conf" SWANCTL_DIR="$B/swanctl" swanctl "$@" 2>>"$B/swanctl.stderr"; }
CHARON_PID=""
start_charon() {
  ip netns exec "$NSB" unshare -m --propagation private env STRONGSWAN_CONF="$B/strongswan.conf" \
    sh -c "mount --bind '$B/run' /run && exec /usr/lib/ipsec/charon" >> "$B/charon.stdout" 2>&1 &
  CHARON_PID=$!; track "$CHARON_PID"
  for _ in $(seq 100); do
    [ -S "$B/run/charon.vici" ] && sw --stats >/dev/null 2>&1 && break
    sleep 0.1
  done
  sw --load-all > "$B/load.txt" 2>&1
}
stop_charon() { # $1: name to keep the log under
  [ -n "$CHARON_PID" ] && kill -TERM "$CHARON_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$CHARON_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$CHARON_PID" 2>/dev/null; CHARON_PID=""
  rm -f "$B/run/charon.vici"
  mv "$B/run/charon.log" "$T/charon-$1.log" 2>/dev/null
}

# ---- the gateway side A (the driver) ------------------------------------------------------
DRIVER_PID=""
start_driver() { # $1 log name, rest: driver arguments
  local log="$T/$1.log"; shift
  ip netns exec "$NSA" "$IKE_DRIVER" --local 10.231.0.1 --remote 10.231.0.2 \
    --local-ts 10.231.1.0/24 --remote-ts 10.231.2.0/24 "$@" > "$log" 2>&1 &
  DRIVER_PID=$!; track "$DRIVER_PID"
  GW_LOG="$log"
  for _ in $(seq 50); do grep -q '^READY' "$log" && return 0; sleep 0.1; done
  return 1
}
stop_driver() {
  [ -n "$DRIVER_PID" ] && kill -TERM "$DRIVER_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DRIVER_PID" 2>/dev/null; DRIVER_PID=""
}
psk_args=(--local-id 10.231.0.1 --remote-id 10.231.0.2 --psk "$PSK")
cert_args=(--local-id gwa.ikx.test --remote-id gwb.ikx.test --cert "$P/gwa.crt" --key "$P/gwa.key" --ca "$P/ca.crt")
wait_for() { # wait_for SECONDS FILE ERE
  for _ in $(seq $(( $1 * 10 ))); do grep -Eq -- "$3" "$2" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

echo "strongSwan: $SWAN_VERSION; driver: $IKE_DRIVER"

# ---- 1: strongSwan initiates, rekeys and deletes (gateway as responder) ----------------------
echo "scenario 1: psk, strongSwan initiates"
write_strongswan_conf 1280
write_swanctl_conf 12s 22s "aes256gcm16-prfsha384-ecp384, aes256gcm16-prfsha256-x25519"
start_charon
start_driver s1 "${psk_args[@]}" --duration 60 --child-rekey 3600 --ike-rekey 14400
out=$(sw --initiate --ike psk --child net --timeout 20 2>&1)
expect_match "1: swanctl --initiate succeeds against the gateway" "initiate completed successfully" "$out"
expect_true "1: driver installed the CHILD SA" wait_for 5 "$T/s1.log" '^CHILD_UP'
sas=$(sw --list-sas 2>&1)
expect_match "1: strongSwan lists the IKE SA ESTABLISHED" "psk: #[0-9]+, ESTABLISHED, IKEv2" "$sas"
expect_match "1: strongSwan installed the CHILD SA (AES_GCM_16-256, UDP encap)" "net: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256" "$sas"
expect_match "1: proposal ECP_384 / PRF_HMAC_SHA2_384" "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" "$sas"
expect_true "1: strongSwan rekeyed the CHILD SA (PFS) with the gateway" wait_for 20 "$B/run/charon.log" 'CHILD_SA net\{[2-9]\} established' 
expect_true "1: strongSwan rekeyed the IKE SA with the gateway" wait_for 25 "$B/run/charon.log" 'IKE_SA psk\[[0-9]+\] rekeyed between'
sleep 2
expect_true "1: the gateway saw the IKE rekey" wait_for 5 "$T/s1.log" 'MSG > CREATE_CHILD_SA response 0 \[ SA No KE \]|MSG > CREATE_CHILD_SA response [0-9]+ \[ SA No KE \]'
expect_true "1: the CHILD rekey carried a KE (PFS)" wait_for 1 "$T/s1.log" 'MSG < CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\) SA No KE TSi TSr \]'
ups=$(count "$T/s1.log" '^CHILD_UP')
[ "$ups" -ge 2 ] && pass "1: gateway installed the rekeyed CHILD SA ($ups CHILD_UP)" || fail "1: gateway installed the rekeyed CHILD SA" "CHILD_UP=$ups"
sas=$(sw --list-sas 2>&1)
expect_match "1: after the rekeys strongSwan still has the SA" "psk: #[0-9]+, ESTABLISHED" "$sas"
out=$(sw --terminate --ike psk --timeout 10 2>&1)
expect_match "1: strongSwan's Delete is answered" "terminate completed successfully" "$out"
expect_true "1: the gateway dropped the IKE SA" wait_for 5 "$T/s1.log" 'IKE_SA id=[0-9]+ state=gone'
stop_driver
expect_match "1: driver summary" "SUMMARY ike_established=[1-9].* child_rekeys=[1-9][0-9]* ike_rekeys=[1-9]" "$(cat "$T/s1.log")"
stop_charon s1

# ---- 2: the gateway initiates, rekeys and deletes (gateway as initiator) ----------------------
echo "scenario 2: psk, the gateway initiates"
write_swanctl_conf 1h 4h "aes256gcm16-prfsha384-ecp384, aes256gcm16-prfsha256-x25519"
start_charon
start_driver s2 "${psk_args[@]}" --initiate --child-rekey 10 --ike-rekey 18 --over 30 \
  --terminate-at 26 --duration 29 --expect-children 2
expect_true "2: the gateway's CHILD SA is up" wait_for 10 "$T/s2.log" '^CHILD_UP'
sas=$(sw --list-sas 2>&1)
expect_match "2: strongSwan accepted the gateway's IKE SA" "psk: #[0-9]+, ESTABLISHED, IKEv2" "$sas"
expect_match "2: strongSwan installed the CHILD SA" "net: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL-in-UDP" "$sas"
expect_true "2: strongSwan accepted the gateway's CHILD rekey" wait_for 15 "$B/run/charon.log" 'inbound CHILD_SA net\{2\} established'
expect_true "2: the gateway deleted the old CHILD SA" wait_for 2 "$B/run/charon.log" 'received DELETE for ESP CHILD_SA'
expect_true "2: strongSwan accepted the gateway's IKE rekey" wait_for 15 "$B/run/charon.log" 'IKE_SA psk\[2\] rekeyed between'
expect_true "2: the gateway deleted the old IKE SA" wait_for 2 "$B/run/charon.log" 'received DELETE for IKE_SA psk\[1\]'
expect_true "2: the CHILD SA rekeyed again on the new IKE SA" wait_for 6 "$B/run/charon.log" 'inbound CHILD_SA net\{3\} established'
expect_true "2: the gateway terminated, strongSwan deleted its SA" wait_for 12 "$B/run/charon.log" 'received DELETE for IKE_SA psk\[2\]'
wait "$DRIVER_PID" 2>/dev/null; rc=$?
expect_eq "2: driver exit status" 0 "$rc"
expect_match "2: driver summary" "SUMMARY ike_established=[2-9].* child_rekeys=[1-9][0-9]* ike_rekeys=[1-9]" "$(cat "$T/s2.log")"
sas=$(sw --list-sas 2>&1)
expect_nomatch "2: nothing left on strongSwan" "ESTABLISHED" "$sas"
stop_charon s2

# ---- 3 and 4: certificates with fragmentation --------------------------------------------------
echo "scenario 3: ECDSA P-384 certificates, strongSwan initiates, fragments"
write_strongswan_conf 512
write_swanctl_conf 1h 4h "aes256gcm16-prfsha384-ecp384, aes256gcm16-prfsha256-x25519"
start_charon
start_driver s3 "${cert_args[@]}" --fragment-size 576 --duration 30
out=$(sw --initiate --ike cert --child net --timeout 20 2>&1)
expect_match "3: certificate IKE_SA established" "initiate completed successfully" "$out"
expect_true "3: the gateway reassembled strongSwan's fragments" wait_for 3 "$T/s3.log" 'MSG < IKE_AUTH request 1 \[ IDi CERT N\(INIT_CONTACT\) CERTREQ IDr AUTH SA TSi TSr'
expect_true "3: the gateway fragmented its response" wait_for 3 "$T/s3.log" 'MSG > IKE_AUTH response 1 \[ IDr CERT AUTH SA TSi TSr \] \([0-9]+ fragments\)'
expect_true "3: strongSwan authenticated the gateway's ECDSA signature" wait_for 3 "$B/run/charon.log" "authentication of 'gwa.ikx.test' with (ECDSA|RFC 7427).*successful|authentication of 'gwa.ikx.test' with .* successful"
sw --terminate --ike cert --timeout 10 > /dev/null 2>&1
stop_driver
stop_charon s3

echo "scenario 4: ECDSA P-384 certificates, the gateway initiates, fragments"
start_charon
start_driver s4 "${cert_args[@]}" --initiate --fragment-size 576 --duration 30
expect_true "4: CHILD SA up" wait_for 10 "$T/s4.log" '^CHILD_UP'
sas=$(sw --list-sas 2>&1)
expect_match "4: strongSwan lists the certificate SA" "cert: #[0-9]+, ESTABLISHED, IKEv2.*" "$sas"
expect_match "4: strongSwan saw gwa.ikx.test" "gwa.ikx.test" "$sas"
expect_true "4: strongSwan verified the gateway's signature" wait_for 3 "$B/run/charon.log" "authentication of 'gwa.ikx.test' with .* successful"
expect_true "4: strongSwan reassembled the gateway's fragments" wait_for 3 "$B/run/charon.log" 'reassembled fragmented IKE message|received fragment #'
stop_driver
stop_charon s4

# ---- 5: INVALID_KE_PAYLOAD -----------------------------------------------------------------------
echo "scenario 5: INVALID_KE_PAYLOAD, the gateway retries with x25519"
write_strongswan_conf 1280
write_swanctl_conf 1h 4h "aes256gcm16-prfsha256-x25519"
start_charon
start_driver s5 "${psk_args[@]}" --initiate --duration 15
expect_true "5: CHILD SA up after the retry" wait_for 10 "$T/s5.log" '^CHILD_UP'
expect_match "5: strongSwan asked for group 31" "MSG < IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]" "$(cat "$T/s5.log")"
expect_match "5: negotiated x25519" "suite=aes256gcm16/prfsha256/x25519" "$(cat "$T/s5.log")"
stop_driver
stop_charon s5

finish "strongswan=\"$SWAN_VERSION\""
