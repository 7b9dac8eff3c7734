#!/usr/bin/env python3
"""smb_probe.py - send one hand-made NEGOTIATE that smbclient cannot produce, report the answer.

  smb_probe.py PORT CASE
    311-noenc      3.1.1 only, a PREAUTH context, no ENCRYPTION context
    311-badcipher  3.1.1 only, an ENCRYPTION context naming only cipher 5 (unknown)
    311-all        3.1.1 only, ciphers 4,3,2,1 (control: must be answered)
    300-nocap      3.0 and 3.0.2 without SMB2_GLOBAL_CAP_ENCRYPTION
    300-cap        3.0 and 3.0.2 with it (control)
    smb1-multi     SMB1 NEGOTIATE offering "NT LM 0.12", "SMB 2.002", "SMB 2.???"
    garbage        an NBSS frame carrying an HTTP request

Prints "answered dialect=0x.... status=0x........" or "closed". Standard library only.
"""
import os
import socket
import struct
import sys


def context(ctype, data):
    return struct.pack("<HHI", ctype, len(data), 0) + data


def negotiate(dialects, caps, contexts):
    # [MS-SMB2] 2.2.1 header (64) + 2.2.3 request; contexts 8-byte aligned from the header.
    header = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, 0, 1, 0, 0, 0, 0xFEFF, 0, 0,
                                      b"\0" * 16)
    fixed_end = 64 + 36 + 2 * len(dialects)
    offset = (fixed_end + 7) & ~7 if contexts else 0
    body = struct.pack("<HHHHI16sIHH", 36, len(dialects), 1, 0, caps, os.urandom(16), offset,
                       len(contexts), 0)
    body += struct.pack("<%dH" % len(dialects), *dialects)
    msg = header + body
    for c in contexts:
        msg += b"\0" * ((8 - len(msg) % 8) % 8) + c
    return msg


def preauth():
    return context(1, struct.pack("<HHH", 1, 32, 1) + os.urandom(32))


def ciphers(ids):
    return context(2, struct.pack("<H%dH" % len(ids), len(ids), *ids))


def smb1_multi():
    names = b"".join(b"\x02" + n + b"\x00" for n in (b"NT LM 0.12", b"SMB 2.002", b"SMB 2.???"))
    header = b"\xffSMB\x72" + b"\0" * 4 + b"\x18" + struct.pack("<H", 0xC853) + b"\0" * 12 + \
        struct.pack("<HHHH", 0, 0xFEFF, 0, 0)
    return header + b"\x00" + struct.pack("<H", len(names)) + names


CASES = {
    "311-noenc": lambda: negotiate([0x0311], 0x7F, [preauth()]),
    "311-badcipher": lambda: negotiate([0x0311], 0x7F, [preauth(), ciphers([5])]),
    "311-all": lambda: negotiate([0x0311], 0x7F, [preauth(), ciphers([4, 3, 2, 1])]),
    "300-nocap": lambda: negotiate([0x0300, 0x0302], 0x3F, []),
    "300-cap": lambda: negotiate([0x0300, 0x0302], 0x7F, []),
    "smb1-multi": smb1_multi,
    "garbage": lambda: b"GET / HTTP/1.0\r\n\r\n",
}


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def main():
    port, case = int(sys.argv[1]), sys.argv[2]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    msg = CASES[case]()
    s.sendall(struct.pack(">I", len(msg)) + msg)
    try:
        head = read_exact(s, 4)
        body = read_exact(s, int.from_bytes(head[1:4], "big")) if head else None
    except (ConnectionResetError, socket.timeout):
        body = None
    s.close()
    if body is None:
        print("closed")
        return 0
    if body[:4] != b"\xfeSMB":
        print("answered non-smb2")
        return 0
    status, = struct.unpack_from("<I", body, 8)
    dialect = struct.unpack_from("<H", body, 64 + 4)[0] if status == 0 and len(body) > 70 else 0
    print("answered dialect=0x%04x status=0x%08x" % (dialect, status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
