"""Fetching feeds over HTTP: one shared client, conditional GET, timeouts and a size cap."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from bot import __version__
from bot.errors import FeedError

USER_AGENT = f"alertbot/{__version__} (news alert bot; RSS/Atom reader)"
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchResult:
    """A response worth parsing (200) or a 'nothing changed' (304)."""

    status: int
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

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
    """Polite HTTP for feeds: conditional GET, gzip, redirects, connect and total timeouts."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = MAX_BODY_BYTES,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        """Use `client` if given (tests), else one shared client of our own."""
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._client = client or httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET a feed; raise FeedError with a short reason on any failure."""
        headers = {
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
            "text/xml;q=0.9, */*;q=0.5"
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout):
                return await self._get(url, headers)
        except TimeoutError:
            raise FeedError(f"timed out after {self._timeout:g} s") from None
        except httpx.TooManyRedirects:
            raise FeedError(f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.HTTPError as exc:
            raise FeedError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as response:
            final_url = str(response.url)
            if response.status_code == 304:
                return FetchResult(status=304, url=final_url, headers=dict(response.headers))
            if response.status_code != 200:
                raise FeedError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise FeedError(f"body larger than {self._max_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            # Counted after decompression, so a gzip bomb stops at the cap too.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    raise FeedError(f"body larger than {self._max_bytes} bytes")
                chunks.append(chunk)
            headers = {k.lower(): v for k, v in response.headers.items()}
            headers["content-location"] = final_url
            return FetchResult(status=200, url=final_url, body=b"".join(chunks), headers=headers)

    async def aclose(self) -> None:
        """Close the shared client."""
        await self._client.aclose()
