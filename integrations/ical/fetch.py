"""Fetching a calendar by URL without letting the URL reach inside our network.

Only http(s). The host is resolved once and every address it resolves to must be globally routable
(``ipaddress``'s ``is_global``, and none of the ranges in ``BLOCKED``: carrier-grade NAT and the cloud metadata
addresses in it, IETF protocol assignments, site-local IPv6, NAT64/6to4/Teredo prefixes that embed an IPv4
address, multicast) unless allowed by settings; the connection then goes to that vetted address (so DNS cannot
change its answer in between), with the host name kept for TLS and the Host header. Redirects are followed by
hand, each hop checked again. Size is capped, and one deadline covers the whole download: every read waits
at most for the time that is left, and the connections are shut when it passes (``core.cutoff``), so a server
sending its status line, headers or body a byte at a time cannot hold us past it.

Basic auth (``username``/``password``) is sent only to the URL's own origin; a redirect elsewhere drops it.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3

from core import cutoff

USER_AGENT = "InterviewScheduling/1.0 (calendar import)"
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT_STATUSES = {400, 401, 403, 404, 405, 410}


class FetchError(Exception):
    """The calendar could not be fetched; ``permanent`` when trying again will not help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Policy:
    max_bytes: int
    timeout: float
    allow_private: bool = False
    allowed_networks: tuple = ()
    max_redirects: int = 5


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


@dataclass(frozen=True)
class Fetched:
    content: bytes
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


BLOCKED = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "100.100.100.200/32",  # Alibaba Cloud metadata (inside 100.64/10, named for the record)
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
    "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    "fd00:ec2::254/128",  # AWS metadata over IPv6 (inside fc00::/7, named for the record)
))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a v4-mapped, v4-compatible, 6to4, Teredo or NAT64 address leads to."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96") or address.packed[:12] == bytes(12):
        return ipaddress.IPv4Address(address.packed[-4:])
    return None


def _is_public(address: ipaddress._BaseAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and not _is_public(inner):
            return False
    return address.is_global and not address.is_multicast and not any(
        address.version == net.version and address in net for net in BLOCKED
    )


def _allowed(address, policy: Policy) -> bool:
    if policy.allow_private or _is_public(address):
        return True
    return any(address in ipaddress.ip_network(net) for net in policy.allowed_networks)


def vetted_address(host: str, port: int, policy: Policy) -> str:
    """The address to connect to for ``host``; refuses if any address it resolves to is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"The host {host!r} could not be found.") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not _allowed(address, policy):
            raise FetchError(f"Addresses inside a private network are refused ({host}).", permanent=True)
        addresses.append(str(address))
    if not addresses:
        raise FetchError(f"The host {host!r} could not be found.")
    return addresses[0]


def check_url(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("Only http and https calendar URLs are accepted.", permanent=True)
    if not parts.hostname:
        raise FetchError("The URL has no host.", permanent=True)
    if parts.username or parts.password:
        raise FetchError("Put the user name and password in their own fields, not in the URL.", permanent=True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("The URL's port is not valid.", permanent=True) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def _pool(scheme: str, address: str, host: str, port: int, timeout: float):
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        return cutoff.WatchedHTTPSConnectionPool(
            address, port, timeout=limits, retries=False, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
        )
    return cutoff.WatchedHTTPConnectionPool(address, port, timeout=limits, retries=False)


def _unreachable(exc: Exception) -> str:
    if isinstance(exc, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError, TimeoutError)):
        return "The calendar server took too long to answer."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "The calendar server's HTTPS certificate could not be verified."
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "The calendar server refused the connection."
    return "The calendar server could not be reached."


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(_TOO_LONG)
    return left


def _read_body(response, policy: Policy, deadline: float) -> bytes:
    """The body, each read waiting at most for the time left before the deadline."""
    sock = getattr(response.connection, "sock", None) if response.connection is not None else None
    body = bytearray()
    while True:
        left = _left(deadline)
        if sock is not None:
            sock.settimeout(left)
        chunk = response.read1(64 * 1024)
        if not chunk:
            return bytes(body)
        body.extend(chunk)
        if len(body) > policy.max_bytes:
            raise FetchError(f"The calendar is larger than {policy.max_bytes // 1024} KiB.", permanent=True)


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def fetch(url: str, policy: Policy, *, etag: str = "", last_modified: str = "",
          credentials: Credentials | None = None) -> Fetched:
    with cutoff.cut_off_after(policy.timeout) as watching:
        try:
            fetched = _fetch(url, policy, etag=etag, last_modified=last_modified, credentials=credentials)
        except FetchError:
            if watching.cut:  # whatever broke, it broke because the time was up
                raise FetchError(_TOO_LONG) from None
            raise
        if watching.cut:  # a read the cut ended looks like the end of the answer: it is not
            raise FetchError(_TOO_LONG)
        return fetched


_TOO_LONG = "The calendar server took too long to send the calendar."


def _fetch(url: str, policy: Policy, *, etag: str, last_modified: str, credentials: Credentials | None) -> Fetched:
    deadline = time.monotonic() + policy.timeout
    origin = _origin(url)
    for _ in range(policy.max_redirects + 1):
        scheme, host, port, path = check_url(url)
        address = vetted_address(host, port, policy)
        default_port = 443 if scheme == "https" else 80
        headers = {
            "Host": host if port == default_port else f"{host}:{port}",
            "User-Agent": USER_AGENT,
            "Accept": "text/calendar, */*;q=0.5",
        }
        if credentials is not None and _origin(url) == origin:
            headers["Authorization"] = credentials.header()
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        pool = _pool(scheme, address, host, port, _left(deadline))
        try:
            response = pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False, retries=False)
        except urllib3.exceptions.HTTPError as exc:
            pool.close()
            raise FetchError(_unreachable(exc)) from None
        try:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError("The calendar server redirected without saying where.")
                url = urljoin(url, location)
                continue
            if response.status == 304:
                return Fetched(b"", etag=etag, last_modified=last_modified, not_modified=True)
            if response.status in (401, 403) and credentials is not None:
                raise FetchError("The calendar server did not accept the user name and password.", permanent=True)
            if response.status == 401:
                raise FetchError("The calendar server asks for a user name and password.", permanent=True)
            if response.status >= 400:
                raise FetchError(
                    f"The calendar server answered {response.status}.", permanent=response.status in _PERMANENT_STATUSES
                )
            body = _read_body(response, policy, deadline)
            return Fetched(
                body,
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
                raise FetchError(_TOO_LONG) from None
            raise FetchError("The calendar download broke off before the end.") from None
        finally:
            response.release_conn()
            pool.close()
    raise FetchError("The calendar URL redirected too many times.", permanent=True)
