#!/usr/bin/env python3
"""Minimal FTP control-channel responder for the sample captures.

The standard library has an FTP client but no server. This speaks just enough
of RFC 959 for a real client (curl) to greet, send USER and PASS in cleartext
and be refused (530), which is all the capture needs to show. One connection
at a time.
Usage: ftp_server.py PORT
"""
import socket
import sys


def serve(conn: socket.socket) -> None:
    reader = conn.makefile("rb")
    conn.sendall(b"220 intransit sample FTP service ready\r\n")
    for raw in reader:
        line = raw.decode("latin-1").rstrip("\r\n")
        verb = line.split(" ", 1)[0].upper()
        if verb == "USER":
            conn.sendall(b"331 Password required\r\n")
        elif verb == "PASS":
            conn.sendall(b"530 Login incorrect\r\n")
        elif verb == "QUIT":
            conn.sendall(b"221 Goodbye\r\n")
            return
        else:
            conn.sendall(b"530 Please login with USER and PASS\r\n")


def main() -> None:
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("::", int(sys.argv[1])))
    listener.listen(4)
    while True:
        conn, _ = listener.accept()
        with conn:
            serve(conn)


if __name__ == "__main__":
    main()
