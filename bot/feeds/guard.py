"""An SSRF guard for feed fetches: only public addresses, checked after DNS and on every hop.

Admins can add any feed URL, so a URL could point the bot at its own host, the private network or
a cloud metadata service. The guard sits in the network backend: each connection resolves its host
once, refuses it unless every address is permitted, then connects to a checked address (never to
the name again, so DNS rebinding cannot swap in another address). Because httpx opens a connection
per new origin, redirect hops are checked too.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

# Defined with the other errors, so handlers can tell them apart without importing feeds code.
from bot.errors import InvalidAddress, UnsafeURL

__all__ = [
    "AddressPolicy",
    "GuardedBackend",
    "InvalidAddress",
    "UnsafeURL",
    "check_host",
    "check_url",
    "guarded_transport",
    "unsafe_cause",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = "a cloud metadata address"
RESERVED = "a reserved address"

# Refused by name before any lookup: off GCP the name may not resolve, and "cannot resolve host"
# would hide why it is refused. Other aliases resolve to the addresses below and are caught there.
METADATA_HOSTS = frozenset({"metadata.google.internal"})

# Never permitted, not even by allow_private or allowed_networks: they hand out credentials.
_METADATA_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.169.254/32",  # AWS, GCP, Azure, OCI, OpenStack
        "169.254.170.2/32",  # AWS ECS task credentials
        "169.254.170.23/32",  # AWS EKS pod identity
        "100.100.100.200/32",  # Alibaba Cloud
        "168.63.129.16/32",  # Azure WireServer (a public address, hence listed)
        "fd00:ec2::254/128",  # AWS over IPv6
        "fd00:ec2::23/128",  # AWS EKS pod identity over IPv6
    )
)


def _table(*rows: tuple[str, str, bool]) -> tuple[tuple[IPNetwork, str, bool], ...]:
    return tuple((ipaddress.ip_network(net), why, local) for net, why, local in rows)


# (network, reason, local): the first match wins; `local` ranges are what allow_private opens.
# Written out rather than taken from ipaddress.is_private/is_global, whose answers changed
# between Python patch releases.
_V4_RANGES = _table(
    ("0.0.0.0/8", "an unspecified address", False),  # 0.0.0.0 reaches this host on Linux
    ("10.0.0.0/8", "a private address", True),
    ("100.64.0.0/10", "a shared (CGNAT) address", True),
    ("127.0.0.0/8", "a loopback address", True),
    ("169.254.0.0/16", "a link-local address", True),
    ("172.16.0.0/12", "a private address", True),
    ("192.0.0.0/24", RESERVED, False),
    ("192.0.2.0/24", "a documentation address", False),
    ("192.88.99.0/24", RESERVED, False),
    ("192.168.0.0/16", "a private address", True),
    ("198.18.0.0/15", "a benchmarking address", False),
    ("198.51.100.0/24", "a documentation address", False),
    ("203.0.113.0/24", "a documentation address", False),
    ("224.0.0.0/4", "a multicast address", False),
    ("255.255.255.255/32", "a broadcast address", False),
    ("240.0.0.0/4", RESERVED, False),
)
_V6_RANGES = _table(
    ("::/128", "an unspecified address", False),
    ("::1/128", "a loopback address", True),
    ("fc00::/7", "a private (unique local) address", True),
    ("fe80::/10", "a link-local address", True),
    ("fec0::/10", "a private (site-local) address", True),
    ("ff00::/8", "a multicast address", False),
    ("2001:db8::/32", "a documentation address", False),
    ("3fff::/20", "a documentation address", False),
    ("2001::/23", RESERVED, False),  # IETF protocol assignments: Teredo, benchmarking, ORCHID
)
# Everything outside global unicast (::/8 compatibles, 100::/64 discard, ...) is refused.
_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # These forms make the kernel or a translator reach the embedded IPv4 address.
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _classify(address: IPAddress) -> tuple[str, bool] | None:
    """(reason, local) for a non-public address, None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return _classify(embedded)
    if any(address in net for net in _METADATA_NETWORKS):
        return METADATA, False
    ranges = _V4_RANGES if address.version == 4 else _V6_RANGES
    for network, why, local in ranges:
        if address in network:
            return why, local
    if address.version == 6 and address not in _V6_GLOBAL_UNICAST:
        return RESERVED, False
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses feeds may reach: public ones, plus what the operator opened up.

    allow_private opens loopback, private (RFC 1918, ULA, site-local), link-local and CGNAT
    ranges; allowed_networks opens any listed network. Cloud metadata addresses stay refused
    whatever the settings.
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        """True when a feed may connect to `address`."""
        return self.reason(address) is None

    def reason(self, address: IPAddress) -> str | None:
        """None when `address` is permitted, else why not, e.g. "a loopback address"."""
        found = _classify(address)
        if found is None:
            return None
        why, local = found
        if why == METADATA:
            return why
        if local and self.allow_private:
            return None
        if self._listed(address):
            return None
        return why

    def _listed(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_v4(address)
            if embedded is not None:
                candidates.append(embedded)
        # Membership is False across IP versions, so mixed lists need no special care.
        return any(
            candidate in network for candidate in candidates for network in self.allowed_networks
        )


def check_url(url: str) -> None:
    """Refuse a feed URL that is not plain http(s) with a host; raise UnsafeURL saying why.

    A URL httpx cannot parse (InvalidURL: a host like 0177.0.0.1, a bad port, control
    characters; or a host name the IDNA codec refuses) is an InvalidAddress.
    """
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes xn-- labels: the IDNA codec may refuse them only here
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise InvalidAddress(url, str(exc)) from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL(f"{url}: only http and https feeds are allowed")
    if not host:
        raise InvalidAddress(url, "the URL has no host")
    # Refused rather than tolerated: credentials would show in feed lists and logs, and
    # "http://trusted.example\@other.example/" reads as one host while httpx connects to the other.
    if parsed.userinfo:
        shown = parsed.copy_with(userinfo=b"")
        raise UnsafeURL(f"{shown}: feed URLs must not contain a user name or password")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidAddress(url, f"port {parsed.port} is out of range")


async def check_host(host: str, port: int, policy: AddressPolicy) -> list[str]:
    """Resolve `host` and return its addresses; raise UnsafeURL unless `policy` permits all."""
    name = host.strip("[]")
    if not name:
        raise UnsafeURL("the URL has no host")
    if name.rstrip(".").lower() in METADATA_HOSTS:
        raise UnsafeURL(f"{name} is {METADATA}")
    addresses: list[IPAddress]
    try:
        addresses = [ipaddress.ip_address(name)]
        literal = True
    except ValueError:
        literal = False
        addresses = await _resolve(name, port)
    for address in addresses:
        why = policy.reason(address)
        if why is not None:
            if literal:
                raise UnsafeURL(f"{address} is {why}")
            raise UnsafeURL(f"{name} resolves to {address}, {why}")
    return [str(address) for address in addresses]


async def _resolve(name: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # gaierror, or a name the IDNA codec cannot encode
        raise UnsafeURL(f"cannot resolve host {name}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(f"cannot resolve host {name}")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses its policy permits."""

    def __init__(
        self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        """Guard `inner` (httpcore's anyio backend by default) with `policy`."""
        self.policy = policy
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def _resolve(self, host: str, port: int) -> list[str]:
        return await check_host(host, port, self.policy)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check `host` once, then connect to the first checked address that answers.

        TLS is unaffected: httpcore passes the URL's host name to start_tls() separately, so SNI
        and certificate checks still use the name, not the address connected to.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                addresses = await self._resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        # Listed once: a generator would be used up by the first attempt.
        options = None if socket_options is None else list(socket_options)
        last_error: Exception | None = None
        for address in addresses:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=options,
                )
            except (OSError, httpcore.ConnectError) as exc:
                last_error = exc
        if isinstance(last_error, httpcore.ConnectError):
            raise last_error
        # httpx maps only httpcore's errors to its own, so a bare OSError is converted here.
        raise httpcore.ConnectError(f"cannot connect to {host}: {last_error}") from last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: a feed never needs a local socket, and it would bypass the address check."""
        raise UnsafeURL(f"{path}: unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        """Delegate to the inner backend (used between connection retries)."""
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every fetcher of the process (loading the CAs takes ~30 ms)."""
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a GuardedBackend; refusals name the URL of the hop."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        limits: httpx.Limits,
        retries: int,
        inner: httpcore.AsyncNetworkBackend | None,
    ) -> None:
        context = _ssl_context()
        super().__init__(limits=limits, retries=retries, trust_env=False, verify=context)
        # httpx 0.28 cannot pass a network_backend through, so the pool the parent built is
        # replaced by one with the same settings (mirrors AsyncHTTPTransport's no-proxy branch).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=retries,
            network_backend=GuardedBackend(policy, inner),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check each hop's URL syntax, then send; add the URL to a refusal from the backend."""
        check_url(str(request.url))
        try:
            return await super().handle_async_request(request)
        except UnsafeURL as exc:
            raise UnsafeURL(f"{request.url}: {exc}") from exc


def guarded_transport(
    policy: AddressPolicy,
    *,
    limits: httpx.Limits,
    retries: int = 0,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncBaseTransport:
    """An httpx transport whose every connection, redirect hops included, passes the guard.

    `inner` is the backend the guard wraps (tests record connections with it); it is always
    guarded, so it cannot be used to skip the check.
    """
    return _GuardedTransport(policy, limits=limits, retries=retries, inner=inner)


def unsafe_cause(exc: BaseException) -> UnsafeURL | None:
    """The UnsafeURL that `exc` is or was raised from (via __cause__/__context__), if any."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UnsafeURL):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None
