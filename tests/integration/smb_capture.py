#!/usr/bin/env python3
"""smb_capture.py - record the NBSS frames of one SMB connection as a hex vector file.

A transparent TCP relay (it never changes a byte) that writes every NetBIOS session frame of
the first connection it accepts to OUT, in the order the relay completed them, as

    # <title>
    C 00000066fe534d42...    one frame from the client, NBSS header included
    S 000000c8fe534d42...    one frame from the server

Used by smb_make_vectors.sh to produce tests/vectors/smb/*.hex from a real Samba session. A
frame is recorded when it is complete, before it is forwarded, so the file is a valid
interleaving of the two directions. Standard library only.

  smb_capture.py --listen 127.0.0.1:19446 --backend 127.0.0.1:19445 --out a.hex [--title T]
"""
import argparse
import asyncio
import signal


class Recorder:
    def __init__(self, path, title):
        self.f = open(path, "w")
        if title:
            for line in title.splitlines():
                self.f.write("# %s\n" % line)
        self.f.flush()

    def frame(self, side, data):
        self.f.write("%s %s\n" % (side, data.hex()))
        self.f.flush()


async def pump(reader, writer, side, rec):
    buf = bytearray()
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            buf += data
            while len(buf) >= 4:
                n = int.from_bytes(buf[1:4], "big")
                if len(buf) < 4 + n:
                    break
                frame = bytes(buf[: 4 + n])
                del buf[: 4 + n]
                if rec:
                    rec.frame(side, frame)
                writer.write(frame)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        if buf:
            writer.write(bytes(buf))
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--backend", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    state = {"n": 0}
    rec = Recorder(args.out, args.title)

    async def handle(cr, cw):
        state["n"] += 1
        r = rec if state["n"] == 1 else None
        host, port = args.backend.rsplit(":", 1)
        try:
            sr, sw = await asyncio.open_connection(host, int(port))
        except OSError:
            cw.close()
            return
        await asyncio.gather(pump(cr, sw, "C", r), pump(sr, cw, "S", r))

    host, port = args.listen.rsplit(":", 1)
    server = await asyncio.start_server(handle, host, int(port), reuse_address=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(True))
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
