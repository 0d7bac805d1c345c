"""A local HTTP server for feed files, used by the demo and the tests.

It answers conditional GETs like a well-behaved news site (ETag and Last-Modified, 304), lets the
caller change what a path serves between polls, and counts requests per path and body bytes sent.
It can also misbehave like real-world feed servers, for the bad-feed tests and the benchmark: answer
late, drip the body a byte at a time, never answer, gzip the body, send a body that is already
encoded (a gzip bomb), announce a false Content-Length, or redirect (in a loop, if asked).
"""

from __future__ import annotations

import contextlib
import gzip as gziplib
import hashlib
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Resource:
    """What one path answers.

    Content coding, one design: `gzip=True` means the body goes over the wire gzip-coded with
    `Content-Encoding: gzip`; the server compresses `body` once, here. Add `encoded=True` when
    `body` already is in its coding (a gzip bomb: a small gzip of a huge document): it is then sent
    byte for byte. For another coding, pass `encoded=True` and the header in `headers`, which
    always override the server's own headers.
    """

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer 304 when the client's validators match
    etag: str = ""
    last_modified: str = ""
    delay: float = 0.0  # seconds to wait before the status line: a slow server
    trickle: float = 0.0  # seconds to sleep before each body byte: a server that drips its answer
    hang: bool = False  # read the request and never answer (until stop() closes the connection)
    gzip: bool = False  # send the body with Content-Encoding: gzip (compressed once, here)
    encoded: bool = False  # the body already is in its Content-Encoding: send it as it is
    declared_length: int | None = None  # a Content-Length to announce instead of the true one
    payload: bytes = field(init=False, repr=False)  # the bytes that go over the wire as the body

    def __post_init__(self) -> None:
        """Derive the validators from the body, as a static file server would, and encode it."""
        if not self.etag:
            self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'
        if not self.last_modified:
            self.last_modified = formatdate(time.time(), usegmt=True)
        # mtime=0 makes the compressed bytes depend on the body alone, so sizes are repeatable.
        compress = self.gzip and not self.encoded
        self.payload = gziplib.compress(self.body, mtime=0) if compress else self.body


class _HTTPServer(ThreadingHTTPServer):
    """A threading server that stays quiet about connections the other side (or stop()) cut."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore socket errors: clients that time out and stop() both cut connections mid-way."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class FeedServer:
    """Serves Resources by path on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        """Create an empty server; `start()` binds a free port."""
        self._resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.request_headers: list[tuple[str, dict[str, str]]] = []
        self.request_times: list[tuple[str, float]] = []  # (path, monotonic time) of each GET
        self._bytes_sent = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set by stop(): wakes handlers that are delaying, trickling or hanging.
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()

    def set(self, path: str, body: bytes | str, **options: object) -> str:
        """Serve `body` at `path` from now on; return the full URL."""
        data = body.encode() if isinstance(body, str) else body
        resource = Resource(data, **options)  # type: ignore[arg-type]
        with self._lock:
            self._resources[path] = resource
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Redirect `path` to `location` (a URL, or a path on this server); return the full URL."""
        return self.set(
            path,
            b"",
            status=status,
            content_type="text/plain",
            headers={"Location": location},
            conditional=False,
        )

    def remove(self, path: str) -> None:
        """Answer 404 for `path` from now on."""
        with self._lock:
            self._resources.pop(path, None)

    def get(self, path: str) -> Resource | None:
        """What `path` serves now."""
        with self._lock:
            return self._resources.get(path)

    def url(self, path: str) -> str:
        """The full URL of `path` on this server."""
        return f"{self.base_url}{path}"

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT of the running server."""
        if self._httpd is None:
            raise RuntimeError("the feed server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def bytes_sent(self) -> int:
        """Body bytes written so far, all paths and statuses (headers not counted)."""
        with self._lock:
            return self._bytes_sent

    def reset_counters(self) -> None:
        """Zero `bytes_sent` and empty `requests` and `request_headers` (in place)."""
        with self._lock:
            self._bytes_sent = 0
            self.requests.clear()
            self.request_headers.clear()

    def start(self) -> FeedServer:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        server = self
        # A fresh event per run, so a restarted server does not inherit the last stop().
        stopping = self._stopping = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are two writes: without this the body of each response on a
            # kept-alive connection waits for the client's delayed ACK (40 ms on Linux).
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                server._track(self.connection, stopping)

            def finish(self) -> None:
                server._untrack(self.connection)
                super().finish()

            def do_GET(self) -> None:
                server._answer(self, stopping)

            def do_HEAD(self) -> None:
                server._answer(self, stopping)

            def log_message(self, format: str, *args: object) -> None:
                """Stay quiet: the demo prints its own output."""

        self._httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval keeps stop() quick (it waits for the serving loop to notice).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut the connections still open (hanging, trickling) and free the port."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            _cut(connection)
        self._httpd.server_close()
        self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None

    def __enter__(self) -> FeedServer:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a with-block."""
        self.stop()

    def _track(self, connection: socket.socket, stopping: threading.Event) -> None:
        with self._lock:
            self._connections.add(connection)
        # A connection accepted while stop() was cutting the others would otherwise be missed.
        if stopping.is_set():
            _cut(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _answer(self, handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests[path] = self.requests.get(path, 0) + 1
            self.request_times.append((path, time.monotonic()))
            self.request_headers.append((path, {k.lower(): v for k, v in handler.headers.items()}))
            resource = self._resources.get(path)
        if resource is None:
            self._send(handler, 404, b"not found", {"Content-Type": "text/plain"})
            return
        if resource.hang:
            stopping.wait()
            handler.close_connection = True
            return
        if resource.delay and stopping.wait(resource.delay):
            handler.close_connection = True
            return
        headers = {
            "Content-Type": resource.content_type,
            "ETag": resource.etag,
            "Last-Modified": resource.last_modified,
        }
        if resource.gzip:
            headers["Content-Encoding"] = "gzip"
        if resource.declared_length is not None:
            headers["Content-Length"] = str(resource.declared_length)
            # After a wrong length the byte stream is out of step: never reuse the connection.
            headers["Connection"] = "close"
            handler.close_connection = True
        headers.update(resource.headers)
        if resource.conditional and resource.status == 200 and self._unchanged(handler, resource):
            self._send(handler, 304, b"", {"ETag": resource.etag})
            return
        self._send(
            handler,
            resource.status,
            resource.payload,
            headers,
            trickle=resource.trickle,
            stopping=stopping,
        )

    @staticmethod
    def _unchanged(handler: BaseHTTPRequestHandler, resource: Resource) -> bool:
        if_none_match = handler.headers.get("If-None-Match")
        if if_none_match is not None:
            return if_none_match == resource.etag
        return handler.headers.get("If-Modified-Since") == resource.last_modified

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str],
        *,
        trickle: float = 0.0,
        stopping: threading.Event | None = None,
    ) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status != 304 and "Content-Length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status == 304 or handler.command == "HEAD" or not body:
            return
        if not trickle:
            self._write(handler, body)
            return
        for i in range(len(body)):
            if stopping is not None and stopping.wait(trickle):
                handler.close_connection = True
                return
            self._write(handler, body[i : i + 1])

    def _write(self, handler: BaseHTTPRequestHandler, chunk: bytes) -> None:
        # Counted before the write, so the count is current once the client holds the bytes;
        # taken back if the write fails.
        with self._lock:
            self._bytes_sent += len(chunk)
        try:
            handler.wfile.write(chunk)
        except OSError:
            with self._lock:
                self._bytes_sent -= len(chunk)
            raise


def _cut(connection: socket.socket) -> None:
    """Shut a socket down both ways, which wakes a handler blocked reading or writing on it."""
    # OSError: already closed by its handler or the client.
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
