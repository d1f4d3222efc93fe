"""A local HTTP server for URL-input tests: real sockets on 127.0.0.1, one behaviour per path.

Example::

    with media_server({"/a.png": png}) as base:   # base = "http://127.0.0.1:PORT"
        httpx.get(base + "/a.png")
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STREAM_CHUNK = 16 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path, _, query = self.path.partition("?")
        self.server.seen.append({"path": path, "host": self.headers.get("Host")})
        if path == "/redirect":
            self._send(302, b"", {"Location": query.removeprefix("to=")})
        elif path == "/never":
            time.sleep(30)
        elif path == "/endless":
            self._endless()
        elif path == "/declared-big":
            self._send(200, b"\x89PNG\r\n\x1a\n", {"Content-Length": str(10**9)}, complete=False)
        elif path == "/host-echo" and self.headers.get("Host", "").startswith("pinned.example"):
            self._send(200, self.server.files["/ok.png"])
        elif path in self.server.files:
            self._send(200, self.server.files[path])
        else:
            self._send(404, b"not here")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              complete: bool = True) -> None:
        self.send_response(status)
        headers = headers or {}
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _endless(self) -> None:
        """A PNG that never ends (chunked, no length): only a cap while streaming stops it."""
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        head = self.server.files["/ok.png"]
        try:
            self._chunk(head)
            while self.server.streamed < 10**9:
                self._chunk(b"\0" * STREAM_CHUNK)
                self.server.streamed += STREAM_CHUNK
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


@contextmanager
def media_server(files: dict[str, bytes], tls: ssl.SSLContext | None = None) -> Iterator[Any]:
    """Serve ``files`` plus the special paths above; yields the server (``.base``, ``.seen``, ``.streamed``).

    With ``tls`` (a server context, e.g. from trustme) it speaks HTTPS.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.files, server.seen, server.streamed = files, [], 0  # type: ignore[attr-defined]
    server.base = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
