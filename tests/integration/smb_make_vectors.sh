#!/usr/bin/env bash
# smb_make_vectors.sh - regenerate the captured SMB vectors in tests/vectors/smb/ from a real
# Samba (smbd <- smb_capture.py <- smbclient, all on 127.0.0.1). A developer tool: the unit
# tests only read the files it writes; CI never runs it. Needs root (a throwaway user).
#
#   bash tests/integration/smb_make_vectors.sh [OUTDIR]      (default tests/vectors/smb)
#
# Writes capture_<name>.hex (one NBSS frame per line, see smb_capture.py) and
# lab_kdf.txt / lab_transform.txt: per cipher, the session key smbclient dumps with
# `debug encryption = yes`, the preauth hash recomputed from the capture, Samba's derived keys,
# and the first TRANSFORM of each direction with its plaintext (decrypted here with
# python3-cryptography, which the unit tests do not need).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../vectors/smb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
. "$HERE/smb_lib.sh"
smb_install || exit 1
"$SMB_PY" -c 'import cryptography' 2>/dev/null ||
  apt-get -o DPkg::Lock::Timeout=600 install -y python3-cryptography >&2

WORK=$(mktemp -d /tmp/smb-vectors.XXXXXX)
SMB_PORT=${SMB_PORT:-19455}
RELAY_PORT=${RELAY_PORT:-19456}
CAP_PID=""
cleanup() {
  [ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
  smb_lab_cleanup
  [ "${SMB_KEEP:-0}" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
smb_lab_init "$WORK/lab" itsmbvec || exit 1
SMBVER=$(smbd --version)

cap_start() {  # cap_start FILE TITLE
  "$SMB_PY" "$HERE/smb_capture.py" --listen 127.0.0.1:$RELAY_PORT --backend 127.0.0.1:$SMB_PORT \
    --out "$1" --title "$2" &
  CAP_PID=$!
  for _ in $(seq 1 100); do
    [ -n "$(ss -Hltn "( sport = :$RELAY_PORT )")" ] && return 0
    sleep 0.05
  done
  return 1
}
cap_stop() { kill "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; CAP_PID=""; }

# name | smb encrypt | server min | extra globals (;) | share extra | smbclient args | what
SCENARIOS='
311_aes128gcm|required|SMB3_00||||3.1.1, AES-128-GCM, SessionFlags ENCRYPT_DATA (scenario a)
311_aes256gcm|required|SMB3_00|server smb3 encryption algorithms = AES-256-GCM|||3.1.1, AES-256-GCM (scenario h)
311_aes128ccm|required|SMB3_00|||--option=client\ smb3\ encryption\ algorithms=AES-128-CCM|3.1.1, AES-128-CCM (scenario l)
311_aes256ccm|required|SMB3_00|server smb3 encryption algorithms = AES-256-CCM|||3.1.1, AES-256-CCM (scenario m)
300|required|SMB3_00|||-m SMB3_00|3.0, CAP_ENCRYPTION, AES-128-CCM (scenario i)
302|required|SMB3_00|||-m SMB3_02|3.0.2, CAP_ENCRYPTION, AES-128-CCM (scenario s)
311_encrypt_off|off|SMB3_00||||3.1.1 with no ENCRYPTION context in the response (scenario b)
311_plain_tree_connect|if_required|SMB3_00||||3.1.1 with a cipher, SessionFlags 0, plaintext TREE_CONNECT (scenario u)
311_share_encrypt|if_required|SMB3_00||smb encrypt = required||per-share encryption: plaintext IPC$ TREE_CONNECT first (scenario f)
311_client_encrypt|if_required|SMB3_00|||--client-protection=encrypt|client-initiated encryption, SessionFlags 0, all TRANSFORM (scenario v)
311_no_common_cipher|required|SMB3_00|server smb3 encryption algorithms = AES-256-GCM||--option=client\ smb3\ encryption\ algorithms=AES-128-GCM|server answers cipher 0 (no common cipher)
smb2_only|required|SMB3_00|||-m SMB2_10|client offers 2.0.2 and 2.1 only (scenario c)
smb21_chosen|off|SMB2_02|server max protocol = SMB2_10|||client offers up to 3.1.1, server picks 2.1
smb1|required|SMB3_00|||-m NT1 --option=client\ min\ protocol=NT1|SMB1-only negotiate (scenario d)
smb1_multiprotocol|required|NT1|||--option=client\ min\ protocol=NT1|SMB1 multi-protocol negotiate upgrading to SMB2 (scenario t)
negotiate_failed|required|SMB3|||-m SMB3_02|3.0.2 offered, server min 3.1.1: NEGOTIATE fails 0xC00000BB (scenario p)
guest|if_required|SMB3_00||guest ok = yes|GUEST|guest session (SessionFlags IS_GUEST)
anonymous|if_required|SMB3_00|restrict anonymous = 0|guest ok = yes|-N|anonymous session (SessionFlags IS_NULL)
'

run_capture() {
  local name=$1 mode=$2 smin=$3 globals=$4 share=$5 cargs=$6 what=$7
  local -a g=() ca=()
  [ -n "$globals" ] && IFS=';' read -r -a g <<<"$globals"
  local file=$OUT/capture_$name.hex
  SMB_MIN=$smin SMB_SHARE_EXTRA=$share smb_start "$mode" "${g[@]}" || return 1
  cap_start "$file" "$what
$SMBVER: server smb encrypt = $mode, server min protocol = $smin${globals:+, $globals}${share:+, [share] $share}
smbclient ${cargs:-<defaults>} -c 'ls; get hello.txt'
C = client to server, S = server to client; one NBSS frame (header included) per line" || return 1
  local user="-U $SMB_USER%$SMB_PASS"
  case $cargs in
    GUEST) user="-U nosuchuser%whatever"; cargs="" ;;
    -N) user="-N"; cargs="" ;;
  esac
  eval "ca=($cargs)"
  # shellcheck disable=SC2086
  timeout 30 smbclient //127.0.0.1/share -p $RELAY_PORT $user "${ca[@]}" \
    --option='debug encryption=yes' -c "ls; get hello.txt /dev/null" >"$WORK/$name.client.txt" 2>&1
  local rc=$?
  sleep 0.2
  cap_stop
  smb_stop
  printf '%-24s smbclient rc=%s frames=%s\n' "$name" "$rc" "$(grep -c '^[CS] ' "$file")"
}

ONLY=${SMB_ONLY:-}
while IFS='|' read -r name mode smin globals share cargs what; do
  [ -n "$name" ] || continue
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || continue
  case $name in guest) SMB_MAP_TO_GUEST="bad user" ;; *) SMB_MAP_TO_GUEST=never ;; esac
  run_capture "$name" "$mode" "$smin" "$globals" "$share" "$cargs" "$what"
done <<<"$SCENARIOS"
[ -n "$ONLY" ] && exit 0

# The oplock break Samba sends in plaintext on an encrypted 3.0 session ([lab], SMB3-FACTS §8):
# an impacket client holds a batch oplock through the capture relay, smbclient opens the file
# directly, smbd breaks the oplock.
smb_start required || exit 1
echo data >"$SMB_LAB/share/oplock.txt"
chown "$SMB_USER" "$SMB_LAB/share/oplock.txt"
cap_start "$OUT/capture_oplock_break.hex" "3.0 session with ENCRYPT_DATA (impacket, batch oplock); smbd sends a plaintext OPLOCK_BREAK
$SMBVER: server smb encrypt = required; a second client (smbclient, direct) opens the same file
C = client to server, S = server to client; one NBSS frame (header included) per line"
timeout 120 "$SMB_PY" "$HERE/smb_oplock.py" $RELAY_PORT $SMB_PORT "$SMB_USER" "$SMB_PASS" \
  >"$WORK/oplock.txt" 2>&1
echo "oplock: $(tail -n 3 "$WORK/oplock.txt" | tr '\n' ' ')"
sleep 0.2
cap_stop
smb_stop

# Lab KDF and TRANSFORM vectors from the four cipher captures.
"$SMB_PY" - "$OUT" "$WORK" "$SMBVER" <<'PY'
import re, struct, sys, hashlib
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM
out, work, ver = sys.argv[1:4]
NAMES = {1: "AES-128-CCM", 2: "AES-128-GCM", 3: "AES-256-CCM", 4: "AES-256-GCM"}

def frames(path):
    res = []
    for line in open(path):
        if line[:2] in ("C ", "S "):
            b = bytes.fromhex(line[2:].strip())
            res.append((line[0], b[4:]))
    return res

def keys_of(text):
    keys, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^(Session Id|Session Key|Signing Key|App Key|ServerIn Key|ServerOut Key)\s+\[0000\]\s(.*)$", line)
        c = re.match(r"^\[00[1-9a-fA-F]0\]\s(.*)$", line)
        if m:
            cur = m.group(1); keys[cur] = bytes.fromhex(m.group(2)[:49].replace(" ", ""))
        elif c and cur:
            keys[cur] += bytes.fromhex(c.group(1)[:49].replace(" ", ""))
        else:
            cur = None
    return keys

kdf, tf = [], []
for name in ("311_aes128gcm", "311_aes256gcm", "311_aes128ccm", "311_aes256ccm"):
    fr = frames("%s/capture_%s.hex" % (out, name))
    keys = keys_of(open("%s/%s.client.txt" % (work, name), errors="replace").read())
    plain = [(d, m) for d, m in fr if m[:4] == b"\xfeSMB"]
    cmd = lambda m: struct.unpack_from("<H", m, 12)[0]
    status = lambda m: struct.unpack_from("<I", m, 8)[0]
    h = b"\0" * 64
    neg_resp = None
    for d, m in plain:
        if cmd(m) == 0:
            h = hashlib.sha512(h + m).digest()
            if d == "S": neg_resp = m
        elif cmd(m) == 1:
            if d == "S" and status(m) == 0:
                break
            h = hashlib.sha512(h + m).digest()
    off = struct.unpack_from("<I", neg_resp, 64 + 60)[0]
    cnt = struct.unpack_from("<H", neg_resp, 64 + 6)[0]
    cipher = 0
    for _ in range(cnt):
        off = (off + 7) & ~7
        t, dl = struct.unpack_from("<HH", neg_resp, off)
        if t == 2: cipher = struct.unpack_from("<H", neg_resp, off + 10)[0]
        off += 8 + dl
    kdf.append("# lab %s: %s, 3.1.1 %s; preauth hash recomputed from capture_%s.hex,\n"
               "# keys as smbclient dumped them (debug encryption = yes)\n" % (name, ver, NAMES[cipher], name))
    kdf.append("Name: lab-%s\nDialect: 0311\nCipher: %d\nSessionKey: %s\nPreauthHash: %s\n"
               "SigningKey: %s\nApplicationKey: %s\nServerInKey: %s\nServerOutKey: %s\n\n" % (
                   name, cipher, keys["Session Key"].hex(), h.hex(), keys["Signing Key"].hex(),
                   keys["App Key"].hex(), keys["ServerIn Key"].hex(), keys["ServerOut Key"].hex()))
    for d, key in (("C", keys["ServerIn Key"]), ("S", keys["ServerOut Key"])):
        m = next(m for dd, m in fr if dd == d and m[:4] == b"\xfdSMB")
        nl = 11 if cipher in (1, 3) else 12
        a = AESCCM(key, 16) if cipher in (1, 3) else AESGCM(key)
        p = a.decrypt(m[20:20 + nl], m[52:] + m[4:20], m[20:52])
        tf.append("# lab %s: first TRANSFORM %s (%s)\n" % (
            name, "client to server" if d == "C" else "server to client", NAMES[cipher]))
        tf.append("Name: lab-%s-%s\nCipher: %d\nKey: %s\nPlaintext: %s\nTransform: %s\n\n" % (
            name, "c2s" if d == "C" else "s2c", cipher, key.hex(), p.hex(), m.hex()))
open(out + "/lab_kdf.txt", "w").write("".join(kdf))
open(out + "/lab_transform.txt", "w").write("".join(tf))
print("lab_kdf.txt: %d vectors, lab_transform.txt: %d vectors" % (len(kdf) // 2, len(tf) // 2))
PY
