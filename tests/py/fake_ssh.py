#!/usr/bin/env python3
"""A stand-in for `ssh ... -N -L LOCAL:REMOTE host` in tests (tests/remote/ssh.rs):
listens on the LOCAL unix socket and forwards each connection to the REMOTE unix
socket, here on this very host. As ssh does, it says on stderr when the remote socket
cannot be reached and closes that connection. Every other argument is ignored.

  fake_ssh.py [ssh options] -L LOCAL:REMOTE [--] [user@]host
"""
import socket
import sys
import threading

args = sys.argv[1:]
local, remote = args[args.index("-L") + 1].split(":", 1)


def pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client: socket.socket) -> None:
    upstream = socket.socket(socket.AF_UNIX)
    try:
        upstream.connect(remote)
    except OSError as e:
        print(f"channel 2: open failed: connect failed: {e.strerror}", file=sys.stderr, flush=True)
        client.close()
        return
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    pipe(upstream, client)


server = socket.socket(socket.AF_UNIX)
server.bind(local)
server.listen(16)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
