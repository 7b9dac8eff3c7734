#!/usr/bin/env python3
"""smb_oplock.py - make smbd send an OPLOCK_BREAK notification through the gateway.

Client A (impacket, SMB 3.x, encrypted session) connects through GATEWAY_PORT and opens
oplock.txt with a batch oplock. Client B (smbclient, straight to SMB_PORT) then opens the
same file, so smbd breaks A's oplock with an unsolicited notification (MessageId all ones).
Samba 4.17 sends that notification in plaintext even on an encrypted session; the gateway
lets exactly that shape through ([MS-SMB2] 2.2.23.1; SMB3-FACTS §8).

Prints "break received" and exits 0 when A got the notification; exits 1 otherwise.

  smb_oplock.py GATEWAY_PORT SMB_PORT USER PASSWORD [300|311]
"""
import subprocess
import sys
import threading

from impacket import smb3structs as s3
from impacket.smbconnection import SMBConnection


def main():
    gw_port, smb_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dialect = {"300": s3.SMB2_DIALECT_30, "311": s3.SMB2_DIALECT_311}[
        sys.argv[5] if len(sys.argv) > 5 else "300"]
    a = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=gw_port, preferredDialect=dialect)
    a.login(user, password)
    smb = a.getSMBServer()
    flags = smb._Session["SessionFlags"]
    print("A: dialect 0x%x SessionFlags 0x%x" % (smb._Connection["Dialect"], flags))
    tid = smb.connectTree("share")
    smb.create(tid, "oplock.txt", s3.FILE_READ_DATA | s3.FILE_WRITE_DATA,
               s3.FILE_SHARE_READ | s3.FILE_SHARE_WRITE, s3.FILE_NON_DIRECTORY_FILE,
               s3.FILE_OPEN_IF, s3.FILE_ATTRIBUTE_NORMAL, oplockLevel=s3.SMB2_OPLOCK_LEVEL_BATCH)
    print("A: holds a batch oplock on oplock.txt")

    result = {}

    def client_b():
        r = subprocess.run(["smbclient", "//127.0.0.1/share", "-p", str(smb_port),
                            "-U", "%s%%%s" % (user, password), "-c", "get oplock.txt /dev/null"],
                           capture_output=True, text=True, timeout=90)
        result["b"] = r.returncode

    b = threading.Thread(target=client_b)
    b.start()
    brk = smb.recvSMB(packetID=0xFFFFFFFFFFFFFFFF)
    print("A: command 0x%x status 0x%x" % (brk["Command"], brk["Status"]))
    ok = brk["Command"] == s3.SMB2_OPLOCK_BREAK
    # Dropping A's connection releases the oplock, so B can finish.
    smb._NetBIOSSession.close()
    b.join()
    print("B: smbclient rc=%s" % result.get("b"))
    print("break received" if ok else "no break")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
