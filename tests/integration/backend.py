#!/usr/bin/env python3
"""A real HTTP/1.1 origin for the integration tests (python3 stdlib only).

    backend.py --port PORT --log FILE [--host 127.0.0.1]
    backend.py --pattern-sha256 N        print the SHA-256 of the first N bytes /big serves

It parses HTTP/1.1 itself (no http.server): keep-alive, Content-Length and chunked request
bodies (decoded here, read as a stream, never buffered whole), chunked responses.

    GET  /ok                 200 "ok"
    GET  /slow?ms=N          waits N ms, then 200 "slow"
    GET  /big?bytes=N        streams N bytes of a fixed pattern (Content-Length)
    GET  /chunked            chunked response: CHUNKED_PARTS, one chunk each
    POST|PUT /sha256[?rate=B] reads the body as a stream (at most B bytes/s when given) and
                             answers JSON {"bytes": n, "sha256": hex}
    GET  /headers            JSON list of [name, value] of the request headers received
    anything else            404

Every request head is logged, when it arrives, as one JSON line in the log file:
    {"ts", "conn", "seq", "method", "target", "version", "headers": [[n, v], ...]}
and when its body has been read, {"ts", "conn", "seq", "done": true, "body_bytes": n}.
"conn" numbers the TCP connections, "seq" the requests on one connection, so a test can see
keep-alive reuse and exactly what reached the backend.
"""
import argparse
import hashlib
import json
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

PATTERN = bytes(range(256)) * 256  # 64 KiB block, /big repeats it
CHUNKED_PARTS = [b"first chunk\n", b"x" * 5000 + b"\n", b"third\n", b"", b"last one\n"]
MAX_HEAD = 256 * 1024


def pattern_sha256(n):
    h = hashlib.sha256()
    full, rest = divmod(n, len(PATTERN))
    for _ in range(full):
        h.update(PATTERN)
    h.update(PATTERN[:rest])
    return h.hexdigest()


class BadRequest(Exception):
    pass


class Conn:
    """Buffered reader over a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            return False
        self.buf += d
        return True

    def read_head(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head, self.buf = self.buf[:i], self.buf[i + 4:]
                return head
            if len(self.buf) > MAX_HEAD:
                raise BadRequest("head too large")
            if not self.fill():
                if self.buf:
                    raise BadRequest("eof in head")
                return None

    def read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > 65536:
                raise BadRequest("line too long")
            if not self.fill():
                raise BadRequest("eof in line")

    def read_some(self, limit):
        if not self.buf and not self.fill():
            raise BadRequest("eof in body")
        d, self.buf = self.buf[:limit], self.buf[limit:]
        return d


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else None
        self.lock = threading.Lock()

    def write(self, obj):
        if not self.f:
            return
        obj["ts"] = round(time.time(), 3)
        with self.lock:
            self.f.write(json.dumps(obj) + "\n")


LOG = None
CONN_IDS = iter(range(1, 1 << 62))
CONN_LOCK = threading.Lock()


def body_chunks(c, headers, rate):
    """Yields the request body in pieces: Content-Length or chunked, decoded here."""
    te = [v for n, v in headers if n.lower() == "transfer-encoding"]
    cl = [v for n, v in headers if n.lower() == "content-length"]
    started = time.monotonic()
    sent = 0

    def throttle(n):
        nonlocal sent
        sent += n
        if rate:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)

    if te:
        if te[-1].strip().lower() != "chunked" or len(te) > 1 or cl:
            raise BadRequest("unsupported framing")
        while True:
            line = c.read_line()
            size_s = line.split(b";", 1)[0].strip()
            try:
                size = int(size_s, 16)
            except ValueError:
                raise BadRequest("bad chunk size %r" % line)
            if size == 0:
                while c.read_line() != b"":  # trailers
                    pass
                return
            while size > 0:
                d = c.read_some(min(size, 65536))
                size -= len(d)
                throttle(len(d))
                yield d
            if c.read_line() != b"":
                raise BadRequest("chunk data not followed by CRLF")
    elif cl:
        if len(set(v.strip() for v in cl)) != 1 or not cl[0].strip().isdigit():
            raise BadRequest("bad content-length")
        left = int(cl[0].strip())
        while left > 0:
            d = c.read_some(min(left, 65536))
            left -= len(d)
            throttle(len(d))
            yield d


def send_response(sock, status, body, ctype="text/plain", extra=()):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Status")
    h = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + ctype,
         "Content-Length: %d" % len(body)] + list(extra)
    sock.sendall(("\r\n".join(h) + "\r\n\r\n").encode() + body)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with CONN_LOCK:
            conn_id = next(CONN_IDS)
        c = Conn(sock)
        seq = 0
        try:
            while True:
                head = c.read_head()
                if head is None:
                    return
                seq += 1
                lines = head.split(b"\r\n")
                parts = lines[0].decode("latin-1").split(" ")
                if len(parts) != 3:
                    raise BadRequest("bad request line")
                method, target, version = parts
                headers = []
                for ln in lines[1:]:
                    n, sep, v = ln.decode("latin-1").partition(":")
                    if not sep or n != n.strip() or not n:
                        raise BadRequest("bad header line %r" % ln)
                    headers.append([n, v.strip(" \t")])
                LOG.write({"conn": conn_id, "seq": seq, "method": method, "target": target,
                           "version": version, "headers": headers})
                u = urllib.parse.urlsplit(target)
                q = dict(urllib.parse.parse_qsl(u.query))
                rate = int(q.get("rate", "0") or 0)
                h = hashlib.sha256()
                n = 0
                try:
                    for d in body_chunks(c, headers, rate):
                        h.update(d)
                        n += len(d)
                except BadRequest as e:
                    raise BadRequest("%s after %d body bytes" % (e, n))
                LOG.write({"conn": conn_id, "seq": seq, "done": True, "body_bytes": n})
                close = any(k.lower() == "connection" and "close" in v.lower()
                            for k, v in headers) or version == "HTTP/1.0"
                extra = ["Connection: close"] if close else []
                self.respond(sock, method, u.path, q, headers, n, h.hexdigest(), extra)
                if close:
                    return
        except BadRequest as e:
            LOG.write({"conn": conn_id, "seq": seq, "error": str(e)})
            try:
                send_response(sock, 400, b"bad request: %s\n" % str(e).encode(),
                              extra=["Connection: close"])
            except OSError:
                pass
        except OSError:
            return

    def respond(self, sock, method, path, q, headers, n, digest, extra):
        if path == "/ok" and method in ("GET", "HEAD"):
            send_response(sock, 200, b"ok", extra=extra)
        elif path == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000.0)
            send_response(sock, 200, b"slow", extra=extra)
        elif path == "/big":
            total = int(q.get("bytes", "0"))
            hdr = ["HTTP/1.1 200 OK", "Content-Type: application/octet-stream",
                   "Content-Length: %d" % total] + extra
            sock.sendall(("\r\n".join(hdr) + "\r\n\r\n").encode())
            left = total
            while left > 0:
                d = PATTERN[:min(left, len(PATTERN))]
                sock.sendall(d)
                left -= len(d)
        elif path == "/chunked":
            hdr = ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                   "Transfer-Encoding: chunked"] + extra
            sock.sendall(("\r\n".join(hdr) + "\r\n\r\n").encode())
            for part in CHUNKED_PARTS:
                if part:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
                    time.sleep(0.05)
            sock.sendall(b"0\r\n\r\n")
        elif path == "/sha256" and method in ("POST", "PUT"):
            body = json.dumps({"bytes": n, "sha256": digest}).encode()
            send_response(sock, 200, body, "application/json", extra)
        elif path == "/headers":
            send_response(sock, 200, json.dumps(headers).encode(), "application/json", extra)
        else:
            send_response(sock, 404, b"not found\n", extra=extra)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--log", default="")
    ap.add_argument("--pattern-sha256", type=int)
    a = ap.parse_args()
    if a.pattern_sha256 is not None:
        print(pattern_sha256(a.pattern_sha256))
        return
    if a.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("backend.py: loopback only")
    LOG = Log(a.log)
    srv = Server((a.host, a.port), Handler)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
