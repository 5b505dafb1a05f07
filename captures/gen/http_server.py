#!/usr/bin/env python3
"""Small cleartext HTTP/1.0 server for the sample captures.

`python3 -m http.server` answers POST with 501; this subclass of the same
standard-library server also accepts POST (reads the body, answers 200) so the
capture holds a complete, ordinary form submission with credentials.
Usage: http_server.py PORT
"""
import http.server
import socket
import sys

PAGE = b"<html><body><h1>intransit sample page</h1></body></html>\n"


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "intransit-sample/1.0"

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._reply(PAGE)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._reply(b"<html><body>welcome</body></html>\n")

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stderr.write("http_server: " + (fmt % args) + "\n")


class DualStackServer(http.server.ThreadingHTTPServer):
    # "::" with IPV6_V6ONLY off (the Linux default) accepts IPv4 clients too.
    address_family = socket.AF_INET6


if __name__ == "__main__":
    port = int(sys.argv[1])
    server = DualStackServer(("::", port), Handler)
    server.serve_forever()
