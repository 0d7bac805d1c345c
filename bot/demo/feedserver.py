"""A local HTTP server for feed files, used by the demo and the tests.

It answers conditional GETs like a well-behaved news site (ETag and Last-Modified, 304), lets the
caller change what a path serves between polls, and counts requests per path.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Resource:
    """What one path answers."""

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer 304 when the client's validators match
    etag: str = ""
    last_modified: str = ""

    def __post_init__(self) -> None:
        """Derive the validators from the body, as a static file server would."""
        if not self.etag:
            self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'
        if not self.last_modified:
            self.last_modified = formatdate(time.time(), usegmt=True)


class FeedServer:
    """Serves Resources by path on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        """Create an empty server; `start()` binds a free port."""
        self._resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.request_headers: list[tuple[str, dict[str, str]]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def set(self, path: str, body: bytes | str, **options: object) -> str:
        """Serve `body` at `path` from now on; return the full URL."""
        data = body.encode() if isinstance(body, str) else body
        resource = Resource(data, **options)  # type: ignore[arg-type]
        with self._lock:
            self._resources[path] = resource
        return self.url(path)

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

    def start(self) -> FeedServer:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                """Stay quiet: the demo prints its own output."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval keeps stop() quick (it waits for the serving loop to notice).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FeedServer:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a with-block."""
        self.stop()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests[path] = self.requests.get(path, 0) + 1
            self.request_headers.append((path, {k.lower(): v for k, v in handler.headers.items()}))
            resource = self._resources.get(path)
        if resource is None:
            self._send(handler, 404, b"not found", {"Content-Type": "text/plain"})
            return
        headers = {
            "Content-Type": resource.content_type,
            "ETag": resource.etag,
            "Last-Modified": resource.last_modified,
            **resource.headers,
        }
        if resource.conditional and resource.status == 200 and self._unchanged(handler, resource):
            self._send(handler, 304, b"", {"ETag": resource.etag})
            return
        self._send(handler, resource.status, resource.body, headers)

    @staticmethod
    def _unchanged(handler: BaseHTTPRequestHandler, resource: Resource) -> bool:
        if_none_match = handler.headers.get("If-None-Match")
        if if_none_match is not None:
            return if_none_match == resource.etag
        return handler.headers.get("If-Modified-Since") == resource.last_modified

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
    ) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 304 and handler.command != "HEAD":
            handler.wfile.write(body)
