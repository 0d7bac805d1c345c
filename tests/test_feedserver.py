"""The local feed server: well-behaved answers and the real-world misbehaviours it can play."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from bot.demo.feedserver import FeedServer

pytestmark = pytest.mark.slow  # slow and hanging responses are waited out

BODY = b"<rss><channel><title>wire</title></channel></rss>"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A running feed server, stopped after the test."""
    with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A sync client with a short timeout, so a misbehaving answer fails fast."""
    with httpx.Client(timeout=5) as http:
        yield http


def test_serves_body_and_404(server: FeedServer, client: httpx.Client) -> None:
    """A set path answers its body and type; a removed path answers 404."""
    url = server.set("/wire.xml", BODY)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == BODY
    assert response.headers["content-type"].startswith("application/rss+xml")
    server.remove("/wire.xml")
    assert client.get(url).status_code == 404


def test_conditional_get_answers_304(server: FeedServer, client: httpx.Client) -> None:
    """A matching If-None-Match or If-Modified-Since gets 304 with no body; a stale one gets 200."""
    url = server.set("/wire.xml", BODY)
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_delay_times_out_a_shorter_read_timeout(server: FeedServer) -> None:
    """A delayed answer makes a client with a shorter read timeout time out."""
    url = server.set("/slow.xml", BODY, delay=2.0)
    with httpx.Client(timeout=httpx.Timeout(5, read=0.3)) as http, pytest.raises(httpx.ReadTimeout):
        http.get(url)


def test_delay_then_answers(server: FeedServer, client: httpx.Client) -> None:
    """A delayed answer still arrives whole to a patient client."""
    url = server.set("/slow.xml", BODY, delay=0.3)
    started = time.monotonic()
    assert client.get(url).content == BODY
    assert time.monotonic() - started >= 0.25


def test_trickle_drips_the_body(server: FeedServer, client: httpx.Client) -> None:
    """A 5-byte body trickled at 0.2 s a byte takes about a second, with Content-Length up front."""
    url = server.set("/drip.xml", b"hello", trickle=0.2)
    started = time.monotonic()
    with client.stream("GET", url) as response:
        assert response.headers["content-length"] == "5"
        assert response.read() == b"hello"
    assert time.monotonic() - started >= 0.8
    assert server.bytes_sent == 5


def test_hang_times_out_and_stop_is_prompt() -> None:
    """A hanging path times the client out, and stop() still returns within about a second."""
    server = FeedServer().start()
    url = server.set("/hang.xml", BODY, hang=True)
    with httpx.Client(timeout=0.3) as http, pytest.raises(httpx.ReadTimeout):
        http.get(url)
    # A second request left hanging in flight while the server stops.
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx.get(url, timeout=10)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    _wait_for_request(server, url)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    caller.join(timeout=2)
    assert not caller.is_alive()
    assert errors  # the cut connection fails the request instead of leaving it waiting


def test_stop_cuts_a_trickle_in_flight() -> None:
    """stop() returns promptly and cuts a body that is still trickling."""
    server = FeedServer().start()
    url = server.set("/drip.xml", b"x" * 100, trickle=0.5)
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx.get(url, timeout=10)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    _wait_for_request(server, url)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    caller.join(timeout=2)
    assert not caller.is_alive()
    assert errors


def test_gzip_is_decoded_and_counts_compressed_bytes(
    server: FeedServer, client: httpx.Client
) -> None:
    """A gzip resource decodes to the original body, and bytes_sent is the compressed size."""
    body = BODY * 200
    url = server.set("/zipped.xml", body, gzip=True)
    compressed = len(gzip.compress(body, mtime=0))
    response = client.get(url)
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-length"] == str(compressed)
    assert response.content == body
    assert server.bytes_sent == compressed < len(body)


def test_already_encoded_gzip_bomb_is_sent_as_is(server: FeedServer, client: httpx.Client) -> None:
    """An already-encoded body (10 MB of zeros, gzipped) goes over the wire byte for byte."""
    bomb = gzip.compress(b"\0" * 10_000_000)
    url = server.set("/bomb.xml", bomb, gzip=True, encoded=True)
    with client.stream("GET", url) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["content-length"] == str(len(bomb))
        raw = b"".join(response.iter_raw())
    assert raw == bomb
    assert server.bytes_sent == len(bomb) < 100_000


def test_headers_override_content_encoding(server: FeedServer, client: httpx.Client) -> None:
    """With encoded=True the caller's Content-Encoding header names the coding, body untouched."""
    body = b"not really deflated"
    url = server.set("/odd.xml", body, encoded=True, headers={"Content-Encoding": "identity"})
    response = client.get(url)
    assert response.headers["content-encoding"] == "identity"
    assert response.content == body


def test_declared_length_lies(server: FeedServer, client: httpx.Client) -> None:
    """A Content-Length longer than the body is announced, and the client sees a cut-short body."""
    url = server.set("/liar.xml", b"short", declared_length=1000)
    with client.stream("GET", url) as response:
        assert response.headers["content-length"] == "1000"
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_redirect_is_followed(server: FeedServer, client: httpx.Client) -> None:
    """A redirect sends Location with an empty body, and a following client lands on the target."""
    target = server.set("/new.xml", BODY)
    url = server.redirect("/old.xml", target, status=301)
    response = client.get(url)
    assert response.status_code == 301
    assert response.headers["location"] == target
    assert response.content == b""
    followed = client.get(url, follow_redirects=True)
    assert followed.content == BODY
    assert str(followed.url) == target


def test_redirect_loop_raises_too_many_redirects(server: FeedServer) -> None:
    """Two paths redirecting to each other make a client with max_redirects=5 give up."""
    url = server.redirect("/a.xml", "/b.xml")
    server.redirect("/b.xml", "/a.xml")
    with (
        httpx.Client(timeout=5, max_redirects=5, follow_redirects=True) as http,
        pytest.raises(httpx.TooManyRedirects),
    ):
        http.get(url)
    assert server.requests["/a.xml"] + server.requests["/b.xml"] == 6


def test_head_answers_headers_without_body(server: FeedServer, client: httpx.Client) -> None:
    """HEAD gets GET's status and headers (Content-Length included) but no body bytes."""
    url = server.set("/wire.xml", BODY)
    response = client.head(url)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["etag"]
    assert response.content == b""
    assert server.bytes_sent == 0
    assert server.requests["/wire.xml"] == 1


def test_counters_and_reset(server: FeedServer, client: httpx.Client) -> None:
    """Requests count per path, bytes_sent sums body bytes, and reset_counters() zeroes both."""
    one = server.set("/one.xml", b"12345")
    two = server.set("/two.xml", b"abc")
    for _ in range(3):
        client.get(one)
    client.get(two, headers={"X-Probe": "yes"})
    assert server.requests == {"/one.xml": 3, "/two.xml": 1}
    assert server.bytes_sent == 3 * 5 + 3
    assert server.request_headers[-1] == ("/two.xml", server.request_headers[-1][1])
    assert server.request_headers[-1][1]["x-probe"] == "yes"
    server.reset_counters()
    assert (server.requests, server.request_headers, server.bytes_sent) == ({}, [], 0)
    client.get(two)
    assert (server.requests, server.bytes_sent) == ({"/two.xml": 1}, 3)


def test_counters_are_thread_safe(server: FeedServer) -> None:
    """Many concurrent requests are all counted, none lost to a race."""
    url = server.set("/busy.xml", b"0123456789")
    per_thread, threads = 10, 8

    def hammer() -> None:
        with httpx.Client(timeout=5) as http:
            for _ in range(per_thread):
                http.get(url)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert server.requests["/busy.xml"] == per_thread * threads
    assert server.bytes_sent == 10 * per_thread * threads


async def test_async_client_reads_a_trickle(server: FeedServer) -> None:
    """An async client reads a trickled gzip body whole, decoded."""
    url = server.set("/drip.xml", b"abc", gzip=True, trickle=0.01)
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(url)
    assert response.content == b"abc"


def test_restart_serves_again() -> None:
    """A stopped server can start again on a fresh port and serve normally."""
    server = FeedServer()
    with server:
        server.set("/wire.xml", BODY, hang=True)
    with server:
        url = server.set("/wire.xml", BODY)
        assert httpx.get(url, timeout=5).content == BODY


def _wait_for_request(server: FeedServer, url: str) -> None:
    """Wait until the server has taken the request for `url` (at most 5 s)."""
    path = urlsplit(url).path
    deadline = time.monotonic() + 5
    while not server.requests.get(path):
        assert time.monotonic() < deadline, f"no request for {path} arrived"
        time.sleep(0.005)
