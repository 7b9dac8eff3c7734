#!/usr/bin/env bash
# limits.sh: the timeouts and size limits of the HTTPS door, with short values in the policy.
#   - slow head (slowloris: one field every 300 ms) -> 408 once head_read_timeout_ms (1 s) has
#     passed since the first byte, although bytes keep coming; connection closed
#   - idle keep-alive connection -> closed after idle_timeout_ms
#   - TLS handshake never started -> closed after handshake_timeout_ms
#   - request body stalls -> 408 after body_read_timeout_ms
#   - route max_body_bytes: Content-Length over it -> 413 before anything reaches the backend;
#     a chunked body growing over it -> 413, connection closed
#   - no route for the host -> 404; max_connections -> the next connection is closed at once
. "$(dirname "$0")/lib.sh"

read -r P_GW P_BE <<<"$(free_ports 2)"
gen_cert ec ec localhost 127.0.0.1
be_start "$P_BE"
cat >"$T/policy.yaml" <<EOF
version: 1
log_level: debug
workers: 1
limits:
  head_read_timeout_ms: 1000
  idle_timeout_ms: 1000
  body_read_timeout_ms: 1000
  max_connections: 20
listeners:
  - name: https
    address: 127.0.0.1:$P_GW
    protocol: https
$(tls_block ec)
      handshake_timeout_ms: 1000
backends:
  - name: app
    address: 127.0.0.1:$P_BE
routes:
  - host: localhost
    path_prefix: /
    backend: app
    max_body_bytes: 1000
  - host: 127.0.0.1
    path_prefix: /
    backend: app
EOF
gw_start "$T/policy.yaml"
gw_wait "$P_GW"

"$PY" - "$IT_DIR" "$P_GW" >"$T/limits.out" 2>&1 <<'PY'
import socket, sys, time
sys.path.insert(0, sys.argv[1])
import rawclient as rc
port = int(sys.argv[2])

def line(name, ok, detail):
    print("%s %s %s" % ("OK" if ok else "FAIL", name, detail))

# Slowloris: the head timeout covers the whole head, not the gap between bytes.
s = rc.connect(port, tls=True, timeout=10)
t0 = time.monotonic()
s.sendall(b"GET /ok HTTP/1.1\r\nHost: localhost\r\n")
data = b""
for i in range(40):
    try:
        s.sendall(b"X-Slow-%d: v\r\n" % i)
    except OSError:
        break
    s.settimeout(0.3)
    try:
        d = s.recv(65536)
        if not d:
            break
        data += d
    except socket.timeout:
        pass
    except OSError:
        break
rest, closed = rc.read_until_close(s, 3)
data += rest
dt = time.monotonic() - t0
line("slow_head", rc.status_of(data) == 408 and 0.9 <= dt <= 3.0,
     "status=%s after=%.2fs" % (rc.status_of(data), dt))

# Idle keep-alive connection.
s = rc.connect(port, tls=True, timeout=10)
s.sendall(b"GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n")
data, _ = rc.read_until_close(s, 5, stop_after_response=True)
t0 = time.monotonic()
rest, closed = rc.read_until_close(s, 5)
dt = time.monotonic() - t0
line("idle_close", rc.status_of(data) == 200 and closed == "yes" and 0.8 <= dt <= 3.0,
     "status=%s closed=%s after=%.2fs" % (rc.status_of(data), closed, dt))

# Handshake never started.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t0 = time.monotonic()
s.settimeout(5)
try:
    d = s.recv(100)
    closed = "yes" if not d else "data"
except socket.timeout:
    closed = "no"
except OSError:
    closed = "reset"
dt = time.monotonic() - t0
line("handshake_timeout", closed in ("yes", "reset") and 0.8 <= dt <= 3.0,
     "closed=%s after=%.2fs" % (closed, dt))

# Body stalls.
s = rc.connect(port, tls=True, timeout=10)
s.sendall(b"POST /sha256?case=stall HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789")
t0 = time.monotonic()
data, closed = rc.read_until_close(s, 5)
dt = time.monotonic() - t0
line("body_timeout", rc.status_of(data) == 408 and closed in ("yes", "reset") and dt <= 3.0,
     "status=%s closed=%s after=%.2fs" % (rc.status_of(data), closed, dt))

# max_body_bytes by Content-Length.
r = rc.exchange(port, b"POST /sha256?case=cl_over HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n" + b"a" * 2000, tls=True)
line("max_body_cl", r["status"] == 413 and r["closed"] in ("yes", "reset"),
     "status=%s closed=%s" % (r["status"], r["closed"]))

# max_body_bytes by a chunked body that grows past it.
body = b"".join(b"100\r\n" + b"b" * 256 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n"
r = rc.exchange(port, b"POST /sha256?case=chunked_over HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + body, tls=True)
line("max_body_chunked", r["status"] == 413 and r["closed"] in ("yes", "reset"),
     "status=%s closed=%s" % (r["status"], r["closed"]))

# Under the limit passes.
r = rc.exchange(port, b"POST /sha256?case=under HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789", tls=True)
line("under_limit", r["status"] == 200, "status=%s" % r["status"])

# No route for the host.
r = rc.exchange(port, b"GET /ok?case=noroute HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n", tls=True)
line("no_route", r["status"] == 404, "status=%s" % r["status"])

# max_connections (20 per worker, one worker): hold 20, the 21st is closed at once.
held = []
for i in range(20):
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(c)
time.sleep(0.3)
try:
    extra = socket.create_connection(("127.0.0.1", port), timeout=5)
    extra.settimeout(3)
    d = extra.recv(10)
    closed = "yes" if not d else "data"
except socket.timeout:
    closed = "no"
except OSError:
    closed = "reset"
line("max_connections", closed in ("yes", "reset"), "21st connection closed=%s" % closed)
for c in held:
    c.close()
time.sleep(0.3)
r = rc.exchange(port, b"GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", tls=True)
line("after_max_connections", r["status"] == 200, "status=%s" % r["status"])
PY

while read -r verdict name detail; do
  if [ "$verdict" = OK ]; then pass "$name: $detail"; else fail "$name" "$detail"; fi
done <"$T/limits.out"
[ "$(grep -c . "$T/limits.out")" -ge 10 ] || fail "all limit cases ran" "$(cat "$T/limits.out")"

leaked=$(grep -E "case=cl_over" "$BE_LOG" | cut -c1-200)
expect_eq "a body refused by its Content-Length never reached the backend" "" "$leaked"
for reason in head_timeout body_timeout body_too_large no_route max_connections handshake_timeout; do
  expect_match "log names reason $reason" "$reason" "$(cat "$GW_LOG")"
done
gw_alive && pass "gateway alive" || fail "gateway alive"
finish
