"""A local HTTP server for URL-input tests: real sockets on 127.0.0.1, one behaviour per path.

Slow senders (issue 17): ``/drip`` answers its headers at once, then a PNG
body one byte per ``DRIP_SECONDS``; ``/drip-headers`` sends even its status
line and headers one byte at a time. Both stop when the client hangs up (or
the fixture ends, or after ``DRIP_MAX_SECONDS``), and note in ``.drips`` how
long the client stayed.

Example::

    with media_server({"/a.png": png}) as base:   # base = "http://127.0.0.1:PORT"
        httpx.get(base + "/a.png")
"""

from __future__ import annotations

import select
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STREAM_CHUNK = 16 * 1024
DRIP_SECONDS = 1.0
DRIP_LENGTH = 100_000  # the body a drip promises: never all sent, at one byte per second
DRIP_MAX_SECONDS = 30  # then it hangs up, so a client without a whole deadline fails instead of hanging


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
        elif path in ("/drip", "/drip-headers"):
            self._drip(headers_too=path == "/drip-headers")
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

    def _drip(self, headers_too: bool) -> None:
        """One byte per DRIP_SECONDS until the client closes: the sender a whole deadline must stop."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {DRIP_LENGTH}\r\n"
                "X-Padding: " + "x" * 60 + "\r\n\r\n").encode()
        body = self.server.files.get("/ok.png", b"\x89PNG\r\n\x1a\n") + b"\0" * DRIP_LENGTH
        started = time.monotonic()
        with self.server.lock:
            self.server.dripping += 1
        try:
            if not headers_too:
                self.wfile.write(head)
                head = b""
            for byte in (head + body)[:DRIP_LENGTH]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self._hung_up(DRIP_SECONDS) or self.server.stop.is_set() \
                        or time.monotonic() - started > DRIP_MAX_SECONDS:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self.server.lock:
                self.server.dripping -= 1
                self.server.drips.append(time.monotonic() - started)
            self.close_connection = True

    def _hung_up(self, seconds: float) -> bool:
        """Waits ``seconds``; True at once if the client closed (a GET sends nothing more, so readable = EOF)."""
        readable, _, _ = select.select([self.connection], [], [], seconds)
        if not readable:
            return False
        try:
            return self.connection.recv(1) == b""
        except OSError:
            return True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # 45 slow senders connect at once; the default backlog of 5 would drop SYNs


@contextmanager
def media_server(files: dict[str, bytes], tls: ssl.SSLContext | None = None) -> Iterator[Any]:
    """Serve ``files`` plus the special paths above; yields the server (``.base``, ``.seen``, ``.streamed``).

    With ``tls`` (a server context, e.g. from trustme) it speaks HTTPS.
    """
    server = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.files, server.seen, server.streamed = files, [], 0  # type: ignore[attr-defined]
    server.stop, server.lock = threading.Event(), threading.Lock()  # type: ignore[attr-defined]
    server.dripping, server.drips = 0, []  # type: ignore[attr-defined]
    server.base = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


def wait_until(check: Callable[[], object], timeout: float) -> bool:
    """Poll ``check`` every 50 ms until it is truthy (True) or ``timeout`` seconds pass (False).

    Example: ``assert wait_until(lambda: srv.drips, 3)``: the sender saw its connection closed.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
