"""Fetching feeds over HTTP: one shared client, conditional GET, timeouts and size caps.

Polite by default: a clear User-Agent, ETag / Last-Modified validators (a 304 costs no parse),
gzip, at most 5 redirects, Retry-After honoured (429, 503), and every connection made only to
addresses the policy allows (see guard.py: checked after DNS and on every redirect hop).
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot import __version__
from bot.errors import FeedError, FeedErrorKind, FeedGone
from bot.feeds.guard import AddressPolicy, check_url, guarded_transport, unsafe_cause

USER_AGENT = f"alertbot/{__version__} (news alert bot; RSS/Atom/JSON Feed reader)"
MAX_BODY_BYTES = 5_000_000
MAX_REDIRECTS = 5
PERMANENT = (301, 308)
RETRY_LATER = (429, 503)
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True)
class FetchResult:
    """A response worth parsing (200) or a 'nothing changed' (304)."""

    status: int
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    moved_to: str | None = None  # where permanent redirects say the feed lives now

    @property
    def not_modified(self) -> bool:
        """The server said the feed did not change since our validators."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        """The validator to send back as If-None-Match."""
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        """The validator to send back as If-Modified-Since."""
        return self.headers.get("last-modified")


class Fetcher:
    """Polite HTTP for feeds over one shared client."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        connect_timeout: float = 10.0,
        max_bytes: int = MAX_BODY_BYTES,
        policy: AddressPolicy | None = None,
        max_connections: int = 100,
    ) -> None:
        """A client whose connections the address policy guards (public addresses only)."""
        self._timeout = timeout
        self._max_bytes = max_bytes
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client = httpx.AsyncClient(
            transport=guarded_transport(policy or AddressPolicy(), limits=limits),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
            headers={
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "gzip, deflate",
                "Accept": ACCEPT,
            },
            trust_env=False,  # a proxy from the environment would bypass the address guard
        )

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET a feed; raise FeedError (FeedGone for 410) with a short reason on failure."""
        # Checked before httpx sees it: httpx would raise InvalidURL (no HTTPError) while building
        # the request, before the guarded transport's own check of every hop.
        check_url(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout):
                return await self._get(url, headers)
        except TimeoutError:
            raise FeedError(f"timed out after {self._timeout:g} s", kind="timeout") from None
        except httpx.TooManyRedirects:
            raise FeedError(f"more than {MAX_REDIRECTS} redirects", kind="redirects") from None
        except httpx.HTTPError as exc:
            refused = unsafe_cause(exc)
            if refused is not None:
                raise refused from None
            raise FeedError(_describe(exc), kind=_kind(exc)) from None

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as response:
            final_url = str(response.url)
            moved_to = _moved_to(url, response)
            received = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code == 304:
                return FetchResult(status=304, url=final_url, headers=received, moved_to=moved_to)
            if response.status_code == 410:
                raise FeedGone("HTTP 410 Gone: the feed was removed")
            if response.status_code != 200:
                reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                retry_after = None
                if response.status_code in RETRY_LATER:
                    retry_after = parse_retry_after(received.get("retry-after"))
                raise FeedError(reason, retry_after=retry_after, kind="http")
            declared = received.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise FeedError(f"body larger than {self._max_bytes} bytes", kind="too_large")
            body = Inflater(received.get("content-encoding", ""), self._max_bytes)
            async for chunk in response.aiter_raw():
                body.feed(chunk)
            received["content-location"] = final_url
            return FetchResult(
                status=200,
                url=final_url,
                body=body.finish(),
                headers=received,
                moved_to=moved_to,
            )

    async def aclose(self) -> None:
        """Close the shared client."""
        await self._client.aclose()


class Inflater:
    """Decodes a response body chunk by chunk, never holding more than `limit` bytes of output.

    httpx would inflate a whole network chunk at once: a few kilobytes of gzip bomb can become
    hundreds of megabytes before any size check sees them. Here every step is bounded.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        """Prepare for a body in `encoding` (gzip, deflate or none)."""
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        coding = encoding.strip().lower()
        if coding in ("", "identity"):
            self._inflate: zlib._Decompress | None = None
        elif coding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._inflate = zlib.decompressobj()
        else:
            raise FeedError(f"unsupported content encoding {coding!r}", kind="decoding")

    def feed(self, chunk: bytes) -> None:
        """Take the next raw chunk."""
        if self._inflate is None:
            self._keep(chunk)
            return
        try:
            data = chunk
            while data:
                out = self._inflate.decompress(data, self._limit - self._size + 1)
                self._keep(out)
                data = self._inflate.unconsumed_tail
        except zlib.error:
            raise FeedError("the response could not be decoded", kind="decoding") from None

    def finish(self) -> bytes:
        """The whole decoded body."""
        if self._inflate is not None:
            self._keep(self._inflate.flush())
        return b"".join(self._parts)

    def _keep(self, out: bytes) -> None:
        self._size += len(out)
        if self._size > self._limit:
            raise FeedError(f"body larger than {self._limit} bytes", kind="too_large")
        self._parts.append(out)


def _moved_to(requested: str, response: httpx.Response) -> str | None:
    """The URL the leading permanent redirects (301, 308) lead to, if there were any."""
    hops = [*response.history, response]
    permanent = 0
    while permanent < len(response.history) and hops[permanent].status_code in PERMANENT:
        permanent += 1
    if not permanent:
        return None
    target = str(hops[permanent].url)
    return target if target != requested else None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _kind(exc: httpx.HTTPError) -> FeedErrorKind:
    """The metrics kind of a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.DecodingError):
        return "decoding"
    return "network"


def _describe(exc: httpx.HTTPError) -> str:
    """A short reason for a transport failure."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.ReadTimeout):
        return "the server stopped answering"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}".rstrip(": ")
    if isinstance(exc, httpx.DecodingError):
        return "the response could not be decoded"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")
