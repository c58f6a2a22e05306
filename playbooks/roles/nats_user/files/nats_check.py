"""Publishes and consumes one message on NATS as a user, the way a client does.

Reads {"host", "port", "user", "password", "subject"} as JSON on stdin (the
password never in argv) and speaks the NATS text protocol over a plain
socket: CONNECT, SUB, PUB, PING, then waits for the message and the PONG.
Prints "ok" or the server's error line (never the password); exit 0 or 1.
"""

import json
import socket
import sys
import uuid


def main():
    args = json.load(sys.stdin)
    subject = "%s.%s" % (args["subject"], uuid.uuid4().hex)
    payload = uuid.uuid4().hex.encode("ascii")
    try:
        sock = socket.create_connection((args["host"], int(args["port"])), timeout=10)
        reader = sock.makefile("rb")
        info = reader.readline()
        if not info.startswith(b"INFO "):
            print("no INFO from %s:%s" % (args["host"], args["port"]))
            return 1
        connect = {"user": args["user"], "pass": args["password"], "verbose": False,
                   "pedantic": False, "name": "vaultrot-verify"}
        sock.sendall(b"CONNECT " + json.dumps(connect).encode("utf-8") + b"\r\n"
                     + b"SUB " + subject.encode("ascii") + b" 1\r\n"
                     + b"PUB " + subject.encode("ascii") + b" %d\r\n" % len(payload)
                     + payload + b"\r\nPING\r\n")
        got_message = False
        while True:
            line = reader.readline()
            if not line:
                print("connection closed by the server")
                return 1
            if line.startswith(b"-ERR"):
                print(line.decode("utf-8", "replace").strip())
                return 1
            if line.startswith(b"MSG "):
                got_message = reader.readline().rstrip(b"\r\n") == payload
            elif line.startswith(b"PING"):
                sock.sendall(b"PONG\r\n")
            elif line.startswith(b"PONG"):
                break
        if not got_message:
            print("published on %s but the message did not come back" % args["subject"])
            return 1
        print("ok")
        return 0
    except OSError as err:
        print("cannot reach %s:%s: %s" % (args["host"], args["port"], err))
        return 1


if __name__ == "__main__":
    sys.exit(main())
