#!/usr/bin/env python3
"""Strict HTTP/1.1 origin for the smuggling battery (Debian python3-h11: a strict RFC 9112
parser). It logs, as one JSON line each, what the gateway forwarded:

    {"ev": "head", "conn": N, "method": M, "target": T, "cl": .., "te": .., "host": ..}
        a request head was parsed
    {"ev": "req", "conn": N, "method": M, "target": T, "cl": .., "te": .., "host": ..,
     "body_len": n}
        the whole request (head and body) was parsed; it is answered with 200 "ok <target>\\n"
    {"ev": "truncated", "conn": N, "target": T}
        the gateway closed the connection in the middle of a request
    {"ev": "parse_error", "conn": N, "error": ...}
        h11 refused the bytes the gateway sent: the gateway forwarded something malformed

A target containing "SMUGGLED" in a head or req line means an attacker-built inner request
was parsed as a request of its own: a desync.

    h11_backend.py --port PORT --log FILE       (binds 127.0.0.1 only)
"""
import argparse
import asyncio
import json
import time

import h11

LOG_PATH = None
CONN_IDS = iter(range(1, 1 << 62))


def log(obj):
    obj["t"] = round(time.time(), 3)
    with open(LOG_PATH, "a") as f:
        f.write(json.dumps(obj) + "\n")


def describe(req):
    h = {}
    for k, v in req.headers:
        k = k.decode("latin-1").lower()
        v = v.decode("latin-1")
        h[k] = h[k] + "," + v if k in h else v
    return {"method": req.method.decode("latin-1"), "target": req.target.decode("latin-1"),
            "cl": h.get("content-length"), "te": h.get("transfer-encoding"), "host": h.get("host")}


async def handle(reader, writer):
    cid = next(CONN_IDS)
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
    req, body_len = None, 0
    try:
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(65536), timeout=60)
                if not data:
                    # A close in the middle of a request is the gateway abandoning it (a reset
                    # stream, a refused body), not a malformed message: log it as such.
                    if req is not None:
                        log({"ev": "truncated", "conn": cid, "target": req.target.decode("latin-1")})
                    elif conn.their_state is not h11.IDLE:
                        log({"ev": "truncated", "conn": cid, "target": None})
                    break
                conn.receive_data(data)
                continue
            if isinstance(ev, h11.Request):
                req, body_len = ev, 0
                log(dict(ev="head", conn=cid, **describe(req)))
            elif isinstance(ev, h11.Data):
                body_len += len(ev.data)
            elif isinstance(ev, h11.EndOfMessage):
                log(dict(ev="req", conn=cid, body_len=body_len, **describe(req)))
                body = b"ok " + req.target + b"\n"
                writer.write(conn.send(h11.Response(status_code=200, reason=b"OK", headers=[
                    ("content-type", "text/plain"), ("content-length", str(len(body)))])))
                writer.write(conn.send(h11.Data(data=body)))
                writer.write(conn.send(h11.EndOfMessage()))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
                req = None
            elif isinstance(ev, h11.ConnectionClosed):
                break
    except h11.RemoteProtocolError as e:
        log({"ev": "parse_error", "conn": cid, "error": str(e)})
        try:
            writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def serve(port):
    srv = await asyncio.start_server(handle, "127.0.0.1", port)
    log({"ev": "start", "port": port})
    async with srv:
        await srv.serve_forever()


def main():
    global LOG_PATH
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    LOG_PATH = a.log
    try:
        asyncio.run(serve(a.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
