#!/usr/bin/env python3
"""Request-smuggling battery for the HTTPS door: 69 HTTP/1.1 and 14 HTTP/2 framing-ambiguity
cases, judged strictly against a strict origin (h11_backend.py) that logs what reached it.

    smuggle_cases.py --port GW_PORT --backend-log FILE [--only SUBSTR] [--list] [--json OUT]

The payload families are the public ones: PortSwigger's CL.TE / TE.CL / TE.TE, the
whitespace and control-byte Transfer-Encoding mutations of defparam's smuggler, HTTP Garden's
chunk-framing and bare-LF classes, BishopFox's h2c upgrade, and the HTTP/2 downgrade classes
(H2.CL, H2.TE, CRLF injection, connection-specific fields). Each case is tied to an RFC 9112 or
RFC 9113 rule. Every attack request and every inner (smuggled) request carries the case id, so
the origin's log says exactly what got through.

Expectations: "ok" (served, 2xx), "ok2" (two pipelined requests, both served), "reject"
(ambiguous: refused) and "no-desync" (the gateway may serve or refuse, but nothing may
desync). A case FAILS when:
  * any request whose target contains SMUGGLED reaches the origin (a desync);
  * the origin could not parse what the gateway forwarded (parse_error);
  * a victim request on a fresh connection does not get its own response;
  * the front end answers the smuggled bytes as a pipelined request of their own;
  * "ok"/"ok2": fewer 2xx than requests, or the origin did not log them;
  * "reject" over HTTP/1.1: the answer is not a 4xx, the connection stays usable afterwards
    (RFC 9112 §6.3: the framing is unknown, so the connection MUST close), or the attack
    request reached the origin complete;
  * "reject" over HTTP/2: a 2xx/3xx, no answer at all (neither a 4xx, nor RST_STREAM, nor
    GOAWAY), or the attack request reached the origin complete.
Output: one line per case, then `SMUGGLE PASS|FAIL cases=83 pass=N fail=N backend_desync=N`.
"""
import argparse
import json
import os
import re
import socket
import ssl
import sys
import time
import uuid

RN = "\r\n"
HOST = "127.0.0.1"
AUTHORITY = "localhost"
PREFIX = "/sm/"
TIMEOUT = 1.5

# ------------------------------------------------------------------------------ HTTP/1.1 cases


def inner(i):
    """The request an attacker hides in a body: it must never reach the origin."""
    return "GET %sSMUGGLED-%s HTTP/1.1%sHost: %s%s%s" % (PREFIX, i, RN, AUTHORITY, RN, RN)


def request(i, lines, body="", method="POST", version="HTTP/1.1", sep=RN, path=None):
    target = path if path is not None else "%sattack-%s" % (PREFIX, i)
    head = "%s %s %s%s" % (method, target, version, sep) + "".join(l + sep for l in lines)
    return (head + sep + body).encode("latin-1")


def host():
    return "Host: " + AUTHORITY


def body_cl_te(i):
    """Empty by chunked framing, the inner request by Content-Length."""
    return "0" + RN + RN + inner(i)


def body_te_cl(i):
    """One chunk holding the inner request; Content-Length: 4 covers only its size line."""
    inn = inner(i)
    return "%x%s%s%s0%s%s" % (len(inn), RN, inn, RN, RN, RN)


def cl_te_with(te_line):
    def build(i):
        b = body_cl_te(i)
        return request(i, [host(), te_line, "Content-Length: %d" % len(b)], b)
    return build


def te_cl_with(te_line):
    def build(i):
        return request(i, [host(), "Content-Length: 4", te_line], body_te_cl(i))
    return build


def chunked_body(make):
    def build(i):
        return request(i, [host(), "Transfer-Encoding: chunked"], make(i))
    return build


H1 = []  # (name, expect, builder, rule)


def h1(name, expect, build, rule=""):
    H1.append((name, expect, build, rule))


# baselines: must be served
h1("baseline_get", "ok", lambda i: request(i, [host()], method="GET"))
h1("baseline_post_cl", "ok", lambda i: request(i, [host(), "Content-Length: 5"], "hello"))
h1("baseline_post_chunked", "ok",
   chunked_body(lambda i: "5" + RN + "hello" + RN + "0" + RN + RN))
h1("baseline_te_case_insensitive", "ok",
   lambda i: request(i, [host(), "Transfer-Encoding: CHUNKED"], "5" + RN + "hello" + RN + "0" + RN + RN),
   "RFC 9112 §7: coding names are case-insensitive")
h1("baseline_pipelined_2", "ok2",
   lambda i: request(i, [host()], method="GET")
   + request(i, [host()], method="GET", path="%spipe2-%s" % (PREFIX, i)))

# Content-Length and Transfer-Encoding together, or Content-Length twice
h1("cl_te", "reject", cl_te_with("Transfer-Encoding: chunked"), "RFC 9112 §6.1: MAY reject, MUST close")
h1("te_cl", "reject", te_cl_with("Transfer-Encoding: chunked"), "RFC 9112 §6.1")
h1("cl_cl_differ", "reject",
   lambda i: request(i, [host(), "Content-Length: 0", "Content-Length: %d" % len(inner(i))], inner(i)),
   "RFC 9112 §6.3(5): MUST 400")
h1("cl_list_differ", "reject",
   lambda i: request(i, [host(), "Content-Length: 0, %d" % len(inner(i))], inner(i)), "RFC 9112 §6.3(5)")
h1("cl_cl_same", "no-desync",
   lambda i: request(i, [host(), "Content-Length: 5", "Content-Length: 5"], "hello"),
   "identical values MAY be accepted")
for _name, _value in [("plus", "+5"), ("hex", "0x5"), ("neg", "-5"), ("decimal", "5.0"), ("empty", ""),
                      ("overflow", "18446744073709551621"), ("space_inside", "5 5")]:
    h1("cl_bad_" + _name, "reject",
       (lambda v: lambda i: request(i, [host(), "Content-Length: " + v], "hello" + inner(i)))(_value),
       "RFC 9110 §8.6: 1*DIGIT")
h1("cl_on_get_cl0", "no-desync",
   lambda i: request(i, [host(), "Content-Length: %d" % len(inner(i))], inner(i), method="GET"),
   "a body on GET is a body (CL.0)")

# obfuscated Transfer-Encoding (TE.TE): never guess
TE_OBFUSCATIONS = [
    ("te_xchunked", "Transfer-Encoding: xchunked"),
    ("te_space_before_colon", "Transfer-Encoding : chunked"),
    ("te_tab_before_colon", "Transfer-Encoding\t: chunked"),
    ("te_tab_value", "Transfer-Encoding:\tchunked"),
    ("te_leading_space_name", " Transfer-Encoding: chunked"),
    ("te_quoted", 'Transfer-Encoding: "chunked"'),
    ("te_chunked_then_x", "Transfer-Encoding: chunked\r\nTransfer-Encoding: x"),
    ("te_x_then_chunked", "Transfer-Encoding: x\r\nTransfer-Encoding: chunked"),
    ("te_chunked_identity", "Transfer-Encoding: chunked, identity"),
    ("te_chunked_gzip", "Transfer-Encoding: chunked, gzip"),
    ("te_obsfold", "Transfer-Encoding:\r\n chunked"),
    ("te_bare_lf_prefix", "X: X\nTransfer-Encoding: chunked"),
    ("te_vtab_value", "Transfer-Encoding:\x0bchunked"),
    ("te_ff_value", "Transfer-Encoding:\x0cchunked"),
    ("te_nul_end", "Transfer-Encoding: chunked\x00"),
    ("te_cr_end", "Transfer-Encoding: chunked\rX: X"),
    ("te_nbsp_value", "Transfer-Encoding:\xa0chunked"),
    ("te_chunked_comma", "Transfer-Encoding: chunked,"),
    ("te_comma_chunked", "Transfer-Encoding: ,chunked"),
]
for _name, _line in TE_OBFUSCATIONS:
    h1("clte_" + _name, "reject", cl_te_with(_line), "obfuscated TE with CL")
for _name in ("te_xchunked", "te_space_before_colon", "te_obsfold", "te_bare_lf_prefix", "te_chunked_then_x"):
    h1("tecl_" + _name, "reject", te_cl_with(dict(TE_OBFUSCATIONS)[_name]), "obfuscated TE with CL, TE.CL form")

# Transfer-Encoding without a final chunked, or in HTTP/1.0
h1("te_gzip_only", "reject",
   lambda i: request(i, [host(), "Transfer-Encoding: gzip"], inner(i)), "RFC 9112 §6.3(4)")
h1("te_in_http10", "reject",
   lambda i: request(i, [host(), "Transfer-Encoding: chunked"], body_cl_te(i), version="HTTP/1.0"),
   "RFC 9112 §6.1: TE in HTTP/1.0 is faulty framing")

# chunk framing
h1("chunk_size_hex_prefix", "reject", chunked_body(lambda i: "0x5" + RN + "hello" + RN + "0" + RN + RN + inner(i)))
h1("chunk_size_plus", "reject", chunked_body(lambda i: "+5" + RN + "hello" + RN + "0" + RN + RN + inner(i)))
h1("chunk_size_overflow", "reject",
   chunked_body(lambda i: "10000000000000005" + RN + "hello" + RN + "0" + RN + RN + inner(i)))
h1("chunk_size_leading_space", "reject", chunked_body(lambda i: " 5" + RN + "hello" + RN + "0" + RN + RN + inner(i)))
h1("chunk_data_too_long", "reject", chunked_body(lambda i: "3" + RN + "helloXX" + RN + "0" + RN + RN + inner(i)),
   "chunk-data not followed by CRLF")
h1("chunk_bare_lf_size", "no-desync", chunked_body(lambda i: "5\nhello" + RN + "0" + RN + RN), "MAY accept LF")
h1("chunk_ext_bare_lf", "reject", chunked_body(lambda i: "5;a=b\nc" + RN + "hello" + RN + "0" + RN + RN + inner(i)))
h1("chunk_ext_quoted_crlf", "reject",
   chunked_body(lambda i: '5;a="x' + RN + "0" + RN + RN + '"' + RN + "hello" + RN + "0" + RN + RN + inner(i)))
h1("chunk_last_no_final_crlf_pipeline", "no-desync",
   chunked_body(lambda i: "5" + RN + "hello" + RN + "0" + RN + inner(i)), "trailer section swallowing")
h1("chunk_trailer_cl", "no-desync",
   chunked_body(lambda i: "5" + RN + "hello" + RN + "0" + RN + "Content-Length: 99" + RN + RN),
   "framing fields in trailers are ignored or refused")

# header syntax
h1("cl_space_before_colon", "reject",
   lambda i: request(i, [host(), "Content-Length : %d" % len(inner(i))], inner(i)), "RFC 9112 §5.1: MUST 400")
h1("obsfold_plain_header", "reject", lambda i: request(i, [host(), "X-A: a", " b"], method="GET"),
   "RFC 9112 §5.2: obs-fold (strict: reject)")
h1("bare_lf_request", "no-desync", lambda i: request(i, [host()], method="GET", sep="\n"), "RFC 9112 §2.2: MAY accept")
h1("bare_cr_in_value", "reject", lambda i: request(i, [host(), "X-A: a\rb"], method="GET"), "RFC 9112 §2.2")
h1("nul_in_value", "reject", lambda i: request(i, [host(), "X-A: a\x00b"], method="GET"), "RFC 9110 §5.5")
h1("space_in_header_name", "reject", lambda i: request(i, [host(), "X A: b"], method="GET"))
h1("no_host", "reject", lambda i: request(i, [], method="GET"), "RFC 9112 §3.2: MUST 400")
h1("dup_host", "reject", lambda i: request(i, [host(), "Host: evil.example"], method="GET"), "RFC 9112 §3.2: MUST 400")
h1("absolute_form_other_host", "no-desync",
   lambda i: request(i, [host()], method="GET", path="http://evil.example%sabs-%s" % (PREFIX, i)),
   "never routed to evil.example")
h1("te_underscore_name", "no-desync", cl_te_with("Transfer_Encoding: chunked"),
   "dropped or refused, never taken as TE")
h1("request_line_double_space", "no-desync",
   lambda i: ("GET  %sx-%s HTTP/1.1%s%s%s%s" % (PREFIX, i, RN, host(), RN, RN)).encode(),
   "RFC 9112 §3: MAY parse on whitespace")
h1("version_http10_lower", "reject",
   lambda i: ("GET %sx-%s http/1.1%s%s%s%s" % (PREFIX, i, RN, host(), RN, RN)).encode(), "HTTP-name is case-sensitive")
h1("connection_drops_cl", "no-desync",
   lambda i: request(i, [host(), "Connection: Content-Length", "Content-Length: %d" % len(inner(i))], inner(i)),
   "Connection must not strip a framing field")
h1("h2c_upgrade", "no-desync",
   lambda i: request(i, [host(), "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                         "Connection: Upgrade, HTTP2-Settings"], method="GET"),
   "h2c smuggling: never 101 over TLS")
h1("huge_header_431", "reject", lambda i: request(i, [host(), "X-Big: " + "a" * 70000], method="GET"),
   "over the head limit: 431")

# -------------------------------------------------------------------------------- HTTP/2 cases
H2 = []  # (name, expect, headers(i), data(i) or None, rule)


def h2case(name, expect, headers, data=None, rule=""):
    H2.append((name, expect, headers, data, rule))


def h2_base(i, method="POST", path=None):
    return [(":method", method), (":scheme", "https"), (":authority", AUTHORITY),
            (":path", path or "%sh2-%s" % (PREFIX, i))]


h2case("h2_baseline_get", "ok", lambda i: h2_base(i, "GET"))
h2case("h2_baseline_post", "ok", lambda i: h2_base(i) + [("content-length", "5")], lambda i: b"hello")
h2case("h2_cl_shorter_than_data", "reject", lambda i: h2_base(i) + [("content-length", "0")],
       lambda i: inner(i).encode(), "H2.CL: RFC 9113 §8.1.1 malformed")
h2case("h2_cl_longer_than_data", "reject", lambda i: h2_base(i) + [("content-length", "100")],
       lambda i: b"hello", "RFC 9113 §8.1.1")
h2case("h2_te_chunked", "reject", lambda i: h2_base(i) + [("transfer-encoding", "chunked")],
       lambda i: (body_cl_te(i)).encode(), "H2.TE: connection-specific field, RFC 9113 §8.2.2")
h2case("h2_crlf_in_value", "reject",
       lambda i: h2_base(i, "GET") + [("x-a", "b" + RN + "Transfer-Encoding: chunked")], None, "RFC 9113 §8.2.1")
h2case("h2_crlf_request_in_value", "reject",
       lambda i: h2_base(i, "GET") + [("x-a", "b" + RN + RN + inner(i))], None, "request injection in a value")
h2case("h2_colon_in_name", "reject", lambda i: h2_base(i, "GET") + [("x-a:b", "c")], None, "RFC 9113 §8.2.1")
h2case("h2_uppercase_name", "reject", lambda i: h2_base(i, "GET") + [("X-Upper", "c")], None, "RFC 9113 §8.2.1")
h2case("h2_space_in_path", "reject",
       lambda i: h2_base(i, "GET", "%sa HTTP/1.1%sHost: x%s%sGET %sSMUGGLED-%s" % (PREFIX, RN, RN, RN, PREFIX, i)),
       None, "request-line injection through :path")
h2case("h2_method_injection", "reject",
       lambda i: [(":method", "GET %sSMUGGLED-%s HTTP/1.1%sHost: %s%s%sGET" % (PREFIX, i, RN, AUTHORITY, RN, RN)),
                  (":scheme", "https"), (":authority", AUTHORITY), (":path", "%sm-%s" % (PREFIX, i))],
       None, "request-line injection through :method")
h2case("h2_connection_header", "reject", lambda i: h2_base(i, "GET") + [("connection", "keep-alive")], None,
       "RFC 9113 §8.2.2")
h2case("h2_te_gzip", "reject", lambda i: h2_base(i, "GET") + [("te", "gzip")], None, "only te: trailers")
h2case("h2_host_mismatch", "no-desync", lambda i: h2_base(i, "GET") + [("host", "evil.example")], None,
       "RFC 9113 §8.3.1: never routed by host")

# ------------------------------------------------------------------------------------- runner


def tls_connect(port, alpn):
    raw = socket.create_connection((HOST, port), timeout=TIMEOUT)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(alpn)
    return ctx.wrap_socket(raw, server_hostname=AUTHORITY)


def parse_responses(buf):
    """Complete HTTP/1.1 responses in `buf` (status, body) and whether the last one is
    complete. Bodies here always have Content-Length (the gateway and the origin set it)."""
    out, pos = [], 0
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return out, pos == len(buf)
        head = buf[pos:end].decode("latin-1")
        m = re.match(r"HTTP/1\.[01] (\d{3})", head)
        if not m:
            return out, False
        cl = re.search(r"(?im)^content-length:\s*(\d+)\s*$", head)
        n = int(cl.group(1)) if cl else 0
        if len(buf) < end + 4 + n:
            return out, False
        out.append((int(m.group(1)), buf[end + 4:end + 4 + n]))
        pos = end + 4 + n


def read_h1(s, want, timeout):
    """Reads until the peer closes, or `want` complete responses arrived and 0.2 s more pass
    without a close, or `timeout` of silence. Returns (bytes, closed)."""
    buf, closed = b"", False
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except (OSError, ssl.SSLError):
            closed = True
            break
        if not d:
            closed = True
            break
        buf += d
        got, whole = parse_responses(buf)
        if whole and len(got) >= want:
            deadline = min(deadline, time.monotonic() + 0.2)
    return buf, closed


class Origin:
    """Reads the origin's JSON log incrementally."""

    def __init__(self, path):
        self.path, self.off = path, 0

    def mark(self):
        self.off = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        return self.off

    def since(self, off):
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(off)
            data = f.read()
        return [json.loads(l) for l in data.decode("latin-1").splitlines() if l.strip()]

    def wait_for(self, off, needle, secs=1.0):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            if any(needle in (e.get("target") or "") for e in self.since(off)):
                return True
            time.sleep(0.01)
        return False


def victim(port, i):
    """A fresh, honest client after the attack: it must get its own response."""
    try:
        s = tls_connect(port, ["http/1.1"])
        s.sendall(("GET %svictim-%s HTTP/1.1%s%s%sConnection: close%s%s" % (
            PREFIX, i, RN, host(), RN, RN, RN)).encode())
        buf, _ = read_h1(s, 1, TIMEOUT * 2)
        s.close()
    except OSError as e:
        return "victim connection failed: %s" % e
    got, _ = parse_responses(buf)
    if not got:
        return "victim got no response"
    st, body = got[0]
    if b"SMUGGLED" in buf:
        return "victim got a smuggled response"
    if st != 200 or ("victim-" + i).encode() not in body:
        return "victim got someone else's response (%d %r)" % (st, body[:60])
    return None


def run_h1(port, origin, case):
    name, expect, build, rule = case
    i = uuid.uuid4().hex[:10]
    off = origin.mark()
    want = 2 if expect == "ok2" else 1
    r = {"name": name, "proto": "h1", "expect": expect, "rule": rule, "id": i}
    follow = None
    try:
        s = tls_connect(port, ["http/1.1"])
        s.sendall(build(i))
        buf, closed = read_h1(s, want, TIMEOUT)
        if not closed:  # is the connection still usable after what we sent?
            try:
                s.sendall(("GET %sfollow-%s HTTP/1.1%s%s%s%s" % (PREFIX, i, RN, host(), RN, RN)).encode())
                more, closed2 = read_h1(s, 1, TIMEOUT)
                follow = "answered" if parse_responses(more)[0] else ("closed" if closed2 else "silent")
                buf += more
            except OSError:
                follow = "closed"
        s.close()
    except OSError as e:
        buf, closed, follow = b"", True, "error: %s" % e
    responses, _ = parse_responses(buf)
    r.update(status=[st for st, _ in responses], closed=closed, follow=follow)
    v = victim(port, i)
    origin.wait_for(off, "victim-" + i)
    time.sleep(0.03)
    return judge(r, origin.since(off), i, v, buf)


def run_h2(port, origin, case):
    import h2.config
    import h2.connection
    import h2.events
    name, expect, headers, data, rule = case
    i = uuid.uuid4().hex[:10]
    off = origin.mark()
    r = {"name": name, "proto": "h2", "expect": expect, "rule": rule, "id": i}
    status, reset, goaway, body = [], None, None, b""
    try:
        s = tls_connect(port, ["h2"])
        if s.selected_alpn_protocol() != "h2":
            raise OSError("h2 not negotiated")
        cfg = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                        validate_outbound_headers=False,
                                        normalize_outbound_headers=False,
                                        validate_inbound_headers=False)
        c = h2.connection.H2Connection(config=cfg)
        c.initiate_connection()
        hdrs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers(i)]
        payload = data(i) if data else None
        c.send_headers(1, hdrs, end_stream=payload is None)
        if payload is not None:
            c.send_data(1, payload, end_stream=True)
        s.sendall(c.data_to_send())
        end = time.monotonic() + TIMEOUT * 2
        done = False
        while not done and time.monotonic() < end:
            s.settimeout(max(0.05, end - time.monotonic()))
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            for ev in c.receive_data(d):
                if isinstance(ev, h2.events.ResponseReceived):
                    status.append(int(dict(ev.headers)[b":status"]))
                elif isinstance(ev, h2.events.DataReceived):
                    body += ev.data
                    c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamReset):
                    reset, done = ev.error_code, True
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    goaway, done = ev.error_code, True
                elif isinstance(ev, h2.events.StreamEnded):
                    done = True
            out = c.data_to_send()
            if out:
                s.sendall(out)
        s.close()
    except Exception as e:  # noqa: recorded; the judge sees no answer
        r["error"] = repr(e)[:120]
    r.update(status=status, reset=None if reset is None else int(reset),
             goaway=None if goaway is None else int(goaway))
    v = victim(port, i)
    origin.wait_for(off, "victim-" + i)
    time.sleep(0.03)
    return judge(r, origin.since(off), i, v, body)


def judge(r, log, i, victim_problem, front_bytes):
    fails = []
    mine = [e for e in log if i in (e.get("target") or "") or e.get("ev") == "parse_error"]
    r["origin"] = [(e.get("ev"), e.get("method"), e.get("target"), e.get("cl"), e.get("te"),
                    e.get("body_len"), e.get("error")) for e in mine]
    smuggled = [e for e in log if "SMUGGLED" in (e.get("target") or "")]
    if smuggled:
        fails.append("DESYNC: SMUGGLED request reached the origin")
    if any(e.get("ev") == "parse_error" for e in log):
        fails.append("the origin could not parse what the gateway forwarded")
    if victim_problem:
        fails.append(victim_problem)
    if b"SMUGGLED" in front_bytes and r["expect"] not in ("ok", "ok2"):
        fails.append("the front end answered the smuggled bytes as a request of their own")
    st = r["status"]
    attack_done = [e for e in mine if e.get("ev") == "req" and "SMUGGLED" not in e.get("target", "")
                   and "victim-" not in e.get("target", "") and "follow-" not in e.get("target", "")]
    e = r["expect"]
    if e in ("ok", "ok2"):
        need = 2 if e == "ok2" else 1
        if len([x for x in st if 200 <= x < 300]) < need:
            fails.append("expected %d x 2xx, got %s" % (need, st))
        if len(attack_done) < need:
            fails.append("the origin logged %d of %d requests" % (len(attack_done), need))
    elif e == "reject":
        first = st[0] if st else None
        if attack_done:
            fails.append("the ambiguous request reached the origin")
        if r["proto"] == "h1":
            if first is None or not 400 <= first < 500:
                fails.append("expected a 4xx, got %s" % (st or "no response"))
            if r.get("follow") == "answered":
                fails.append("connection kept open after a framing error (RFC 9112 §6.3)")
            elif not r["closed"] and r.get("follow") != "closed":
                fails.append("connection not closed after a framing error (follow-up: %s)" % r.get("follow"))
        else:
            if first is not None and first < 400:
                fails.append("accepted: %d" % first)
            if first is None and r.get("reset") is None and r.get("goaway") is None:
                fails.append("no answer: neither a 4xx nor RST_STREAM nor GOAWAY")
    r["verdict"] = "FAIL" if fails else "PASS"
    r["why"] = fails
    r["desync"] = bool(smuggled) or (victim_problem or "").startswith("victim got")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--backend-log")
    ap.add_argument("--only", default="")
    ap.add_argument("--json")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for c in H1 + H2:
            print("%-40s %-10s %s" % (c[0], c[1], c[-1]))
        print("%d HTTP/1.1 cases, %d HTTP/2 cases" % (len(H1), len(H2)))
        return 0
    origin = Origin(a.backend_log)
    results = []
    for c in H1:
        if a.only in c[0]:
            results.append(run_h1(a.port, origin, c))
    for c in H2:
        if a.only in c[0]:
            results.append(run_h2(a.port, origin, c))
    for r in results:
        extra = ("reset=%s goaway=%s" % (r.get("reset"), r.get("goaway")) if r["proto"] == "h2"
                 else "closed=%s follow=%s" % (r["closed"], r.get("follow")))
        print("%s %s %-36s expect=%-9s status=%s %s origin=%s %s" % (
            r["verdict"], r["proto"], r["name"], r["expect"], r["status"], extra,
            [(o[0], o[2]) for o in r["origin"]], "; ".join(r["why"])), flush=True)
    # Whole-run checks over the complete origin log.
    everything = origin.since(0)
    smuggled_total = sum(1 for e in everything if "SMUGGLED" in (e.get("target") or ""))
    parse_errors = sum(1 for e in everything if e.get("ev") == "parse_error")
    fails = sum(r["verdict"] == "FAIL" for r in results)
    desync = sum(r["desync"] for r in results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    h1n = sum(r["proto"] == "h1" for r in results)
    ok = fails == 0 and smuggled_total == 0 and parse_errors == 0
    print("SMUGGLE %s cases=%d h1=%d h2=%d pass=%d fail=%d backend_desync=%d origin_smuggled=%d "
          "origin_parse_errors=%d" % ("PASS" if ok else "FAIL", len(results), h1n, len(results) - h1n,
                                      len(results) - fails, fails, desync, smuggled_total, parse_errors))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
