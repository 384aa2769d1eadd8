"""Fetching a calendar by URL without letting the URL reach inside our network.

Only http(s). The host is resolved once and every address it resolves to must be public (not loopback,
private, link-local, multicast, reserved or unspecified) unless allowed by settings; the connection then
goes to that vetted address (so DNS cannot change its answer in between), with the host name kept for TLS
and the Host header. Redirects are followed by hand, each hop checked again. Size and time are capped.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3

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
class Fetched:
    content: bytes
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


def _is_public(address: ipaddress._BaseAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None)
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
        raise FetchError("URLs with a user name or password in them are not accepted.", permanent=True)
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
        return urllib3.HTTPSConnectionPool(
            address, port, timeout=limits, retries=False, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=limits, retries=False)


def fetch(url: str, policy: Policy, *, etag: str = "", last_modified: str = "") -> Fetched:
    deadline = time.monotonic() + policy.timeout
    for _ in range(policy.max_redirects + 1):
        scheme, host, port, path = check_url(url)
        address = vetted_address(host, port, policy)
        default_port = 443 if scheme == "https" else 80
        headers = {
            "Host": host if port == default_port else f"{host}:{port}",
            "User-Agent": USER_AGENT,
            "Accept": "text/calendar, */*;q=0.5",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        pool = _pool(scheme, address, host, port, policy.timeout)
        try:
            response = pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False, retries=False)
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(f"The calendar server could not be reached: {type(exc).__name__}.") from None
        try:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError("The calendar server redirected without saying where.")
                url = urljoin(url, location)
                continue
            if response.status == 304:
                return Fetched(b"", etag=etag, last_modified=last_modified, not_modified=True)
            if response.status >= 400:
                raise FetchError(
                    f"The calendar server answered {response.status}.", permanent=response.status in _PERMANENT_STATUSES
                )
            body = bytearray()
            for chunk in response.stream(64 * 1024):
                body.extend(chunk)
                if len(body) > policy.max_bytes:
                    raise FetchError(f"The calendar is larger than {policy.max_bytes // 1024} KiB.", permanent=True)
                if time.monotonic() > deadline:
                    raise FetchError("The calendar server took too long.")
            return Fetched(
                bytes(body),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(f"The calendar download failed: {type(exc).__name__}.") from None
        finally:
            response.release_conn()
            pool.close()
    raise FetchError("The calendar URL redirected too many times.", permanent=True)
