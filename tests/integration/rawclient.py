#!/usr/bin/env python3
"""Raw HTTP/1.1 client for the integration tests (python3 stdlib only): sends exact bytes,
over TLS or plain TCP, and reports what came back and whether the server closed.

    rawclient.py --port P [--tls] [--sni NAME] (--send PY_ESCAPED_STRING | --send-file F)
                 [--timeout S]
prints one line `status=<code|none> closed=<yes|no|reset> bytes=<n>` and then the response
(latin-1, at most 2000 characters). Importable: exchange(...) returns the same facts.
"""
import argparse
import socket
import ssl
import time


def connect(port, tls=False, sni=None, host="127.0.0.1", timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        s = ctx.wrap_socket(s, server_hostname=sni)
    return s


def read_until_close(s, timeout=5.0, stop_after_response=False):
    """Reads until EOF, a reset or `timeout`. Returns (data, closed) where closed is
    'yes' (clean EOF), 'reset' (RST / TLS error after data) or 'no' (still open at timeout).
    With stop_after_response, returns as soon as one complete response with a
    Content-Length body has arrived (closed='no' then means 'not yet known')."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, "no"
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            return data, "no"
        except (ConnectionResetError, BrokenPipeError):
            return data, "reset"
        except ssl.SSLZeroReturnError:
            return data, "yes"
        except (ssl.SSLEOFError, ssl.SSLError, OSError):
            return data, "reset"
        if not d:
            return data, "yes"
        data += d
        if stop_after_response and complete_response(data):
            return data, "no"


def complete_response(data):
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return False
    head = data[:i].decode("latin-1").lower()
    for line in head.split("\r\n")[1:]:
        if line.startswith("content-length:"):
            return len(data) - i - 4 >= int(line.split(":", 1)[1].strip())
    return False


def status_of(data):
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) >= 2 and parts[0].startswith("HTTP/1.") and parts[1].isdigit():
        return int(parts[1])
    return None


def exchange(port, payload, tls=False, sni=None, timeout=5.0):
    """Sends `payload`, reads until close; returns dict(status, closed, data, error)."""
    try:
        s = connect(port, tls, sni, timeout=timeout)
    except OSError as e:
        return {"status": None, "closed": "connect-failed", "data": b"", "error": str(e)}
    err = ""
    try:
        s.sendall(payload)
    except OSError as e:
        err = "send: %s" % e
    data, closed = read_until_close(s, timeout)
    try:
        s.close()
    except OSError:
        pass
    return {"status": status_of(data), "closed": closed, "data": data, "error": err}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--sni")
    ap.add_argument("--send")
    ap.add_argument("--send-file")
    ap.add_argument("--timeout", type=float, default=5.0)
    a = ap.parse_args()
    if a.send_file:
        payload = open(a.send_file, "rb").read()
    else:
        payload = a.send.encode("latin-1").decode("unicode_escape").encode("latin-1")
    r = exchange(a.port, payload, a.tls, a.sni, a.timeout)
    print("status=%s closed=%s bytes=%d%s" % (r["status"] or "none", r["closed"], len(r["data"]),
                                              (" error=" + r["error"]) if r["error"] else ""))
    print(r["data"].decode("latin-1")[:2000])


if __name__ == "__main__":
    main()
