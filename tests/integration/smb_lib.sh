# Samba lab pieces shared by the SMB door's scripts (smb_interop.sh, smb_make_vectors.sh,
# tests/bench/smb_bench.sh). Source it; it defines functions only.
#
#   smb_install               install samba/smbclient/python3-impacket when missing (root)
#   smb_lab_init DIR          lab dirs under DIR, a throwaway unix + Samba user, test files
#   smb_start MODE [GLOBAL...] start smbd on 127.0.0.1:$SMB_PORT, by PID, in the foreground
#                             (MODE = server smb encrypt value; GLOBAL = extra [global] lines;
#                             $SMB_MIN = server min protocol, $SMB_SHARE_EXTRA = [share] lines)
#   smb_stop                  stop the smbd (and samba-dcerpcd) this lab started
#   smb_lab_cleanup           smb_stop, remove the user we created
#
# Everything stays on 127.0.0.1. Nothing runs under systemd; only processes whose PIDs we
# recorded are signalled. The user's password is a fixed throwaway value ($SMB_PASS).

SMB_PY=${SMB_PY:-/usr/bin/python3}   # Debian's python3: python3-impacket lives there
SMB_PASS=${SMB_PASS:-Passw0rd!}
SMB_PORT=${SMB_PORT:-19445}
SMB_LAB=""
SMB_USER=""
SMB_USER_CREATED=0
SMBD_PID=""

smb_log() { printf '[smb-lab] %s\n' "$*" >&2; }

# smb_install: the lab's Debian packages. apt may be busy with other jobs: wait for its lock.
smb_install() {
  local need=()
  command -v smbd >/dev/null || need+=(samba)
  command -v smbclient >/dev/null || need+=(smbclient)
  "$SMB_PY" -c 'import impacket' 2>/dev/null || need+=(python3-impacket)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    smb_log "need root to install ${need[*]}"
    return 1
  fi
  smb_log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
    --no-install-recommends "${need[@]}" >&2 ||
    { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
        --no-install-recommends "${need[@]}" >&2; }
}

# smb_lab_init DIR [USER]: lab directories and a Samba user whose passdb lives in DIR.
smb_lab_init() {
  SMB_LAB=$1
  SMB_USER=${2:-itsmb$$}
  mkdir -p "$SMB_LAB"/{private,state,cache,lock,pid,log,ncalrpc,share,conf}
  chmod 0755 "$SMB_LAB"
  # The share is served as the throwaway user: it must be able to reach it.
  chmod o+x "$(dirname "$SMB_LAB")"
  chmod 0777 "$SMB_LAB/share"
  if ! id "$SMB_USER" >/dev/null 2>&1; then
    useradd -M -s /usr/sbin/nologin "$SMB_USER" || return 1
    SMB_USER_CREATED=1
  fi
  smb_write_conf required >/dev/null
  printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" |
    smbpasswd -c "$SMB_LAB/conf/smb.conf" -s -a "$SMB_USER" >/dev/null || return 1
  echo "hello from smbd" >"$SMB_LAB/share/hello.txt"
  chown -R "$SMB_USER" "$SMB_LAB/share"
}

# smb_write_conf MODE [GLOBAL...]: writes $SMB_LAB/conf/smb.conf and prints its path.
smb_write_conf() {
  local mode=$1 l
  shift
  local conf=$SMB_LAB/conf/smb.conf
  {
    cat <<EOF
[global]
  workgroup = WORKGROUP
  netbios name = ITSMBLAB
  server role = standalone server
  smb ports = $SMB_PORT
  interfaces = 127.0.0.1
  bind interfaces only = yes
  disable netbios = yes
  server min protocol = ${SMB_MIN:-SMB3_00}
  server smb encrypt = $mode
  passdb backend = tdbsam:$SMB_LAB/private/passdb.tdb
  private dir = $SMB_LAB/private
  state directory = $SMB_LAB/state
  cache directory = $SMB_LAB/cache
  lock directory = $SMB_LAB/lock
  pid directory = $SMB_LAB/pid
  ncalrpc dir = $SMB_LAB/ncalrpc
  log file = $SMB_LAB/log/log.%m
  log level = 1
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = ${SMB_MAP_TO_GUEST:-never}
EOF
    for l in "$@"; do [ -n "$l" ] && echo "  $l"; done
    cat <<EOF
[share]
  path = $SMB_LAB/share
  read only = no
  valid users = ${SMB_VALID_USERS:-$SMB_USER}
EOF
    [ -n "${SMB_SHARE_EXTRA:-}" ] && printf '  %s\n' "$SMB_SHARE_EXTRA"
  } >"$conf"
  echo "$conf"
}

# smb_start MODE [GLOBAL...]: (re)start smbd with that configuration and wait for its port.
smb_start() {
  smb_stop
  local conf
  conf=$(smb_write_conf "$@")
  smbd -F --debug-stdout -s "$conf" >"$SMB_LAB/log/smbd.out" 2>&1 </dev/null &
  SMBD_PID=$!
  declare -F track >/dev/null && track "$SMBD_PID"
  local i
  for i in $(seq 1 100); do
    [ -n "$(ss -Hltn "( sport = :$SMB_PORT )" 2>/dev/null)" ] && return 0
    kill -0 "$SMBD_PID" 2>/dev/null || break
    sleep 0.05
  done
  smb_log "smbd did not start:"
  tail -n 20 "$SMB_LAB/log/smbd.out" >&2
  return 1
}

# smb_stop: stop the smbd we started and the samba-dcerpcd it may have spawned (pidfile).
smb_stop() {
  local p f i
  for f in "${SMBD_PID:+pid:$SMBD_PID}" "$SMB_LAB/pid/samba-dcerpcd.pid"; do
    [ -n "$f" ] || continue
    if [[ $f == pid:* ]]; then p=${f#pid:}; else [ -f "$f" ] || continue; p=$(cat "$f"); fi
    [ -n "$p" ] || continue
    if kill -0 "$p" 2>/dev/null && grep -qE 'smbd|samba-dcerpcd' "/proc/$p/comm" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null
      for i in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
      kill -KILL "$p" 2>/dev/null
    fi
  done
  [ -n "$SMBD_PID" ] && wait "$SMBD_PID" 2>/dev/null
  SMBD_PID=""
  for i in $(seq 1 40); do
    [ -z "$(ss -Hltn "( sport = :$SMB_PORT )" 2>/dev/null)" ] && break
    sleep 0.05
  done
  return 0
}

smb_lab_cleanup() {
  smb_stop
  if [ "$SMB_USER_CREATED" = 1 ] && [ -n "$SMB_USER" ]; then
    userdel "$SMB_USER" 2>/dev/null
    SMB_USER_CREATED=0
  fi
}

# smb_client PORT [smbclient args...]: `ls; get hello.txt` through PORT; prints "ok" when the
# listing worked and the file came back intact, "fail" otherwise. Output in $SMB_LAB/log.
smb_client() {
  local port=$1
  shift
  local out=$SMB_LAB/log/client.$port.out got=$SMB_LAB/log/hello.$port.got
  rm -f "$got"
  timeout 30 smbclient //127.0.0.1/share -p "$port" -U "$SMB_USER%$SMB_PASS" "$@" \
    -c "ls; get hello.txt $got" >"$out" 2>&1
  local rc=$?
  if [ $rc = 0 ] && cmp -s "$got" "$SMB_LAB/share/hello.txt"; then echo ok; else echo fail; fi
}
