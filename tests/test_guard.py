"""The SSRF guard: address policy, URL syntax, resolution, and real fetches on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

import httpcore
import httpx
import pytest

from bot.demo.feedserver import FeedServer
from bot.errors import FeedError
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import (
    AddressPolicy,
    GuardedBackend,
    InvalidAddress,
    UnsafeURL,
    check_host,
    check_url,
    guarded_transport,
    unsafe_cause,
)

LOOPBACK_ONLY = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
METADATA_URL = "http://169.254.169.254/latest/meta-data"


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Delegates to httpcore's anyio backend and records where it was asked to connect."""

    def __init__(self) -> None:
        """Start with no calls recorded."""
        self.hosts: list[str] = []
        self.sleeps: list[float] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Record `host`, then connect for real."""
        self.hosts.append(host)
        return await self._real.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        """Record a retry pause without waiting."""
        self.sleeps.append(seconds)


class FailingBackend(httpcore.AsyncNetworkBackend):
    """Fails to connect to the addresses in `refuse` and 'connects' to any other."""

    def __init__(self, refuse: dict[str, Exception]) -> None:
        """Raise refuse[host] for those hosts."""
        self.refuse = refuse
        self.hosts: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Record `host`; fail or return a placeholder stream."""
        self.hosts.append(host)
        if host in self.refuse:
            raise self.refuse[host]
        return httpcore.AsyncNetworkStream()


class FixedAddresses(GuardedBackend):
    """A guard whose host always 'resolves' to two given loopback addresses."""

    async def _resolve(self, host: str, port: int) -> list[str]:
        return ["127.0.0.2", "127.0.0.1"]


def client(
    policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None
) -> httpx.AsyncClient:
    """A client set up as the fetcher does, over the guarded transport."""
    transport = guarded_transport(policy, limits=httpx.Limits(max_connections=4), inner=inner)
    return httpx.AsyncClient(
        transport=transport, follow_redirects=True, max_redirects=5, trust_env=False, timeout=5
    )


REFUSED_BY_DEFAULT = [
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.255", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("10.255.255.255", "a private address"),
    ("172.16.0.0", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.0.1", "a link-local address"),
    ("169.254.169.254", "a cloud metadata address"),
    ("169.254.170.2", "a cloud metadata address"),
    ("100.100.100.200", "a cloud metadata address"),
    ("100.64.0.0", "a shared (CGNAT) address"),
    ("100.127.255.255", "a shared (CGNAT) address"),
    ("0.0.0.0", "an unspecified address"),
    ("0.1.2.3", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a broadcast address"),
    ("192.0.2.10", "a documentation address"),
    ("198.18.0.1", "a benchmarking address"),
    ("::1", "a loopback address"),
    ("::", "an unspecified address"),
    ("fe80::1", "a link-local address"),
    ("febf:ffff::1", "a link-local address"),
    ("fc00::1", "a private (unique local) address"),
    ("fdff:ffff::1", "a private (unique local) address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("ff02::1", "a multicast address"),
    ("2001:db8::1", "a documentation address"),
    ("2001::1", "a reserved address"),
    ("::127.0.0.1", "a reserved address"),
    ("100::1", "a reserved address"),
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:10.1.2.3", "a private address"),
    ("::ffff:169.254.169.254", "a cloud metadata address"),
    ("2002:7f00:1::1", "a loopback address"),
    ("2002:a9fe:a9fe::", "a cloud metadata address"),
    ("64:ff9b::a00:1", "a private address"),
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "169.253.255.255",
    "223.255.255.255",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "2002:808:808::1",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("address", "why"), REFUSED_BY_DEFAULT)
def test_default_policy_refuses_non_public_addresses(address: str, why: str) -> None:
    """The default policy refuses each non-public address and names its kind."""
    ip = ipaddress.ip_address(address)
    assert AddressPolicy().reason(ip) == why
    assert not AddressPolicy().permits(ip)


@pytest.mark.parametrize("address", PUBLIC)
def test_default_policy_permits_public_addresses(address: str) -> None:
    """Public addresses, including those just outside refused ranges, are permitted."""
    ip = ipaddress.ip_address(address)
    assert AddressPolicy().reason(ip) is None
    assert AddressPolicy().permits(ip)


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("192.168.0.10", True),
        ("169.254.1.1", True),
        ("100.64.1.1", True),
        ("fd12::1", True),
        ("::ffff:192.168.0.1", True),
        ("169.254.169.254", False),
        ("fd00:ec2::254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("192.0.2.1", False),
    ],
)
def test_allow_private_opens_local_ranges_only(address: str, permitted: bool) -> None:
    """allow_private opens local ranges (loopback, RFC 1918, link-local, CGNAT, ULA) only."""
    assert AddressPolicy(allow_private=True).permits(ipaddress.ip_address(address)) is permitted


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::ffff:127.0.0.1", True),
        ("::1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("8.8.8.8", True),
    ],
)
def test_allowed_networks_open_only_what_they_list(address: str, permitted: bool) -> None:
    """An allowed network opens its own addresses (and their mapped forms) and nothing else."""
    assert LOOPBACK_ONLY.permits(ipaddress.ip_address(address)) is permitted


def test_metadata_addresses_are_never_permitted() -> None:
    """No setting opens a cloud metadata address, not even a listed network containing it."""
    policy = AddressPolicy(
        allow_private=True,
        allowed_networks=(ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fd00::/8")),
    )
    assert policy.permits(ipaddress.ip_address("169.254.1.1"))
    for address in ("169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254"):
        assert policy.reason(ipaddress.ip_address(address)) == "a cloud metadata address"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/feed.xml",
        "https://example.com:8443/rss?x=1",
        "HTTPS://EXAMPLE.COM/",
        "http://127.0.0.1/x",  # syntax is fine; the address is refused at connect time
        "http://[2001:db8::1]/feed",
        "https://xn--mgbh0fb.xn--kgbechtv/",
    ],
)
def test_check_url_accepts_plain_http_urls(url: str) -> None:
    """http and https URLs with a host and no credentials pass the syntax check."""
    check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", "ftp://x: only http and https feeds are allowed"),
        ("file:///etc/passwd", "only http and https feeds are allowed"),
        ("gopher://example.com/", "only http and https feeds are allowed"),
        ("//example.com/feed", "only http and https feeds are allowed"),
        ("example.com/feed", "only http and https feeds are allowed"),
        ("http:///feed", "the URL has no host"),
        ("http://", "the URL has no host"),
        ("http://user:pass@example.com/", "must not contain a user name or password"),
        ("http://user@example.com/", "must not contain a user name or password"),
        ("http://example.com\\@127.0.0.1/", "must not contain a user name or password"),
        ("http://example.com:99999/", "port 99999 is out of range"),
        ("http://exa mple.com:port/", "not a valid address"),
    ],
)
def test_check_url_refuses_bad_urls(url: str, message: str) -> None:
    """Other schemes, missing hosts, credentials and broken URLs are refused with a reason."""
    with pytest.raises(UnsafeURL, match=re.escape(message)):
        check_url(url)


# Addresses httpx cannot parse (it raises InvalidURL, or the IDNA codec a UnicodeError), and
# those without a host or with an impossible port: none may reach a connection attempt.
MALFORMED = [
    ("http://0177.0.0.1/feed", "Invalid IPv4 address"),
    ("http://1.2.3.0400/", "Invalid IPv4 address"),
    ("http://256.1.1.1/", "Invalid IPv4 address"),
    ("http://[::1/feed", "Invalid port"),
    ("http://[zz::1]/", "Invalid IPv6 address"),
    ("http://example.com:abc/", "Invalid port"),
    ("http://example.com:99999/", "port 99999 is out of range"),
    ("https://ex\x00ample.com/", "Invalid non-printable ASCII character"),
    ("http://xn--/", "Malformed A-label"),
    ("http://exämple..com/", "Invalid IDNA hostname"),
    ("http://\u2488.com/", "Invalid IDNA hostname"),
    ("http:///feed", "the URL has no host"),
    ("http://", "the URL has no host"),
]


@pytest.mark.parametrize(("url", "detail"), MALFORMED)
def test_check_url_says_a_malformed_url_is_not_a_valid_address(url: str, detail: str) -> None:
    """Every way httpx finds a URL malformed becomes one InvalidAddress, saying what is wrong."""
    with pytest.raises(InvalidAddress) as caught:
        check_url(url)
    assert f"not a valid address ({detail}" in str(caught.value)
    assert detail in caught.value.detail


@pytest.mark.parametrize(("url", "detail"), MALFORMED)
async def test_fetch_of_a_malformed_url_is_a_feed_error(url: str, detail: str) -> None:
    """The fetcher turns a malformed URL into a feed error (kind refused), never an httpx error."""
    fetcher = Fetcher(timeout=5)
    try:
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch(url)
    finally:
        await fetcher.aclose()
    assert isinstance(caught.value, InvalidAddress)
    assert caught.value.kind == "refused"
    assert detail in str(caught.value)


def test_check_url_does_not_repeat_the_password() -> None:
    """The refusal of a URL with credentials does not echo the password."""
    with pytest.raises(UnsafeURL) as caught:
        check_url("https://alice:s3cret@example.com/feed")
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("https://example.com/feed: ")


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("localhost", "localhost resolves to 127.0.0.1, a loopback address"),
        ("[::1]", "::1 is a loopback address"),
        # Python < 3.13 writes mapped addresses in hex; compare with its own spelling.
        ("::ffff:127.0.0.1", f"{ipaddress.ip_address('::ffff:127.0.0.1')} is a loopback address"),
        ("2130706433", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("0x7f.1", "0x7f.1 resolves to 127.0.0.1, a loopback address"),
        ("0177.0.0.1", "0177.0.0.1 resolves to 127.0.0.1, a loopback address"),
        ("169.254.169.254", "169.254.169.254 is a cloud metadata address"),
    ],
)
async def test_check_host_refuses_local_hosts_after_resolution(host: str, message: str) -> None:
    """Names and odd numeric forms are judged by the address they resolve to."""
    with pytest.raises(UnsafeURL) as caught:
        await check_host(host, 80, AddressPolicy())
    assert str(caught.value) == message


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_check_host_allows_loopback_with_allow_private(host: str) -> None:
    """With allow_private, loopback hosts resolve to the IP strings to connect to."""
    addresses = await check_host(host, 80, AddressPolicy(allow_private=True))
    assert "127.0.0.1" in addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)


async def test_check_host_refuses_the_metadata_name_without_resolving() -> None:
    """metadata.google.internal is refused by name, whatever the policy."""
    policy = AddressPolicy(allow_private=True)
    for host in ("metadata.google.internal", "METADATA.google.internal."):
        with pytest.raises(UnsafeURL, match="is a cloud metadata address"):
            await check_host(host, 80, policy)


async def test_check_host_refuses_unresolvable_hosts() -> None:
    """A host that does not resolve is refused as "cannot resolve host" (no query leaves)."""
    with pytest.raises(UnsafeURL, match=r"cannot resolve host bad\.\.host"):
        await check_host("bad..host", 80, AddressPolicy(allow_private=True))
    with pytest.raises(UnsafeURL, match="no host"):
        await check_host("", 80, AddressPolicy(allow_private=True))


async def test_backend_connects_to_the_checked_address(feed_server: FeedServer) -> None:
    """The backend hands the inner backend the checked IP, never the name (no second lookup)."""
    feed_server.set("/feed.xml", "<rss/>")
    port = int(feed_server.base_url.rsplit(":", 1)[1])
    inner = RecordingBackend()
    policy = AddressPolicy(allow_private=True)
    stream = await GuardedBackend(policy, inner).connect_tcp("localhost", port, timeout=5)
    await stream.aclose()
    assert len(inner.hosts) == 1
    assert inner.hosts[0] in await check_host("localhost", port, policy)
    assert inner.hosts[0] != "localhost"


async def test_backend_refuses_before_connecting() -> None:
    """A refused host raises UnsafeURL and the inner backend is never asked to connect."""
    inner = RecordingBackend()
    with pytest.raises(UnsafeURL, match="loopback"):
        await GuardedBackend(AddressPolicy(), inner).connect_tcp("localhost", 80)
    with pytest.raises(UnsafeURL, match="unix sockets are not allowed"):
        await GuardedBackend(AddressPolicy(), inner).connect_unix_socket("/run/docker.sock")
    assert inner.hosts == []


async def test_backend_tries_the_next_address_when_one_fails() -> None:
    """A connect error on one checked address moves on to the next one."""
    inner = FailingBackend({"127.0.0.2": httpcore.ConnectError("refused")})
    backend = FixedAddresses(AddressPolicy(allow_private=True), inner)
    await backend.connect_tcp("example.test", 80, timeout=5)
    assert inner.hosts == ["127.0.0.2", "127.0.0.1"]


async def test_backend_reports_a_connect_error_when_all_addresses_fail() -> None:
    """When every address fails, httpcore's ConnectError is raised, chained to the last OSError."""
    inner = FailingBackend(
        {"127.0.0.2": OSError("unreachable"), "127.0.0.1": ConnectionRefusedError("refused")}
    )
    backend = FixedAddresses(AddressPolicy(allow_private=True), inner)
    with pytest.raises(httpcore.ConnectError) as caught:
        await backend.connect_tcp("example.test", 80)
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    assert inner.hosts == ["127.0.0.2", "127.0.0.1"]


async def test_fetch_of_a_local_feed_is_refused_by_default(feed_server: FeedServer) -> None:
    """httpx raises the UnsafeURL itself, naming the URL, and no request reaches the server."""
    url = feed_server.set("/feed.xml", "<rss/>")
    async with client(AddressPolicy()) as http:
        with pytest.raises(UnsafeURL) as caught:
            await http.get(url)
    assert unsafe_cause(caught.value) is caught.value
    assert str(caught.value) == f"{url}: 127.0.0.1 is a loopback address"
    assert feed_server.requests == {}


async def test_fetch_of_a_local_feed_works_with_allow_private(feed_server: FeedServer) -> None:
    """With allow_private, the guarded client fetches from 127.0.0.1 normally."""
    url = feed_server.set("/feed.xml", "<rss/>")
    async with client(AddressPolicy(allow_private=True)) as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.text == "<rss/>"


async def test_host_name_resolving_to_loopback_is_refused(feed_server: FeedServer) -> None:
    """A URL with a host name is refused when the name resolves to a loopback address."""
    feed_server.set("/feed.xml", "<rss/>")
    url = feed_server.url("/feed.xml").replace("127.0.0.1", "localhost")
    async with client(AddressPolicy()) as http:
        with pytest.raises(
            UnsafeURL, match=re.escape("localhost resolves to 127.0.0.1, a loopback address")
        ):
            await http.get(url)
    async with client(AddressPolicy(allow_private=True)) as http:
        assert (await http.get(url)).status_code == 200


async def test_redirect_to_metadata_is_refused_before_connecting(feed_server: FeedServer) -> None:
    """A redirect hop to 169.254.169.254 is refused with no connection attempted to it."""
    start = feed_server.set("/moved", "", status=302, headers={"Location": METADATA_URL})
    inner = RecordingBackend()
    async with client(LOOPBACK_ONLY, inner) as http:
        with pytest.raises(UnsafeURL) as caught:
            await http.get(start)
    assert str(caught.value) == f"{METADATA_URL}: 169.254.169.254 is a cloud metadata address"
    assert feed_server.requests == {"/moved": 1}
    assert inner.hosts == ["127.0.0.1"]


async def test_redirect_hops_get_the_url_check(feed_server: FeedServer) -> None:
    """Each redirect hop's URL is checked too: credentials in a Location are refused."""
    target = feed_server.set("/feed.xml", "<rss/>").replace("http://", "http://user:pw@")
    start = feed_server.set("/moved", "", status=302, headers={"Location": target})
    async with client(LOOPBACK_ONLY) as http:
        with pytest.raises(UnsafeURL, match="must not contain a user name or password"):
            await http.get(start)
    assert feed_server.requests == {"/moved": 1}


async def test_refusals_are_not_retried() -> None:
    """With connection retries on, a refused host is not retried (it would fail the same way)."""
    inner = RecordingBackend()
    transport = guarded_transport(AddressPolicy(), limits=httpx.Limits(), retries=3, inner=inner)
    async with httpx.AsyncClient(transport=transport, trust_env=False) as http:
        with pytest.raises(UnsafeURL):
            await http.get("http://127.0.0.1:9/feed")
    assert inner.sleeps == []
    assert inner.hosts == []


def test_unsafe_cause_walks_the_exception_chain() -> None:
    """unsafe_cause finds an UnsafeURL through __cause__, __context__ and groups, else None."""
    refusal = UnsafeURL("http://x/: 10.0.0.1 is a private address")
    wrapped = httpx.ConnectError("wrapped")
    wrapped.__cause__ = refusal
    outer = RuntimeError("outer")
    outer.__context__ = wrapped
    assert unsafe_cause(refusal) is refusal
    assert unsafe_cause(outer) is refusal
    assert unsafe_cause(ExceptionGroup("many", [ValueError(), outer])) is refusal
    looped = ValueError("loop")
    looped.__context__ = RuntimeError("back")
    looped.__context__.__context__ = looped
    assert unsafe_cause(looped) is None
    assert unsafe_cause(httpx.ConnectError("plain")) is None
