"""The adapter around the ``caldav`` library: the only module that talks CalDAV.

Every request goes through ``_Client``'s session. Its URL must pass the iCal import rules (http(s), no user
info: ``integrations.ical.fetch.check_url``), and ``_PinnedAdapter`` resolves its host once per request
(``vetted_address``: every address the host resolves to must be public unless settings allow it) and connects
to that vetted address, with the host name kept for TLS (SNI and the certificate check) and the Host header,
so DNS cannot answer one address to the check and another to the connection (DNS rebinding). The session
ignores the environment (``trust_env = False``): no proxy, ``.netrc`` or CA bundle from environment
variables can reroute a request or add credentials; certificates are checked against the CALDAV_CA_BUNDLE
setting (certifi's public authorities unless the operator names a bundle with a private one). A request
is never redirected (a redirect could point inside our network), its answer is read only up to a size cap
(``ANSWER_SIZE_FACTOR``), and its timeout is what is left of the caller's deadline. Busy time comes from a
calendar-query with a time range, asking the server to expand recurrences; the iCal parser expands whatever
the server left unexpanded (recurring-ical-events), and leaves out TRANSPARENT and cancelled occurrences.
Every failure comes out as ``CalDAVError`` (a ``ProviderError``), or ``PasswordRejected`` when the server
refuses the user name or app password.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.parse import urljoin

import caldav
import requests
from caldav.lib import error as dav_error
from django.conf import settings
from icalendar import Calendar, Event
from lxml import etree
from requests.adapters import HTTPAdapter

from core import cutoff
from core.calendar_providers import (
    NO_DEADLINE,
    BudgetExhausted,
    BusyAnswer,
    BusyBlock,
    CalendarInfo,
    ConnectionBroken,
    Deadline,
    ProviderError,
)
from integrations.ical import fetch as ical_fetch
from integrations.ical.parse import CalendarError
from slots.intervals import Interval

TIMEOUT_SECONDS = 15
# How long one operation (a discovery, one calendar's read, a PUT or DELETE) may take in all when the caller set
# no deadline (the worker's calls): each read still waits at most TIMEOUT_SECONDS.
OPERATION_SECONDS = 60
PRODID = "-//Interview scheduling//busy blocks//EN"
# An answer may be at most this many times the size an imported calendar may be (the policy's max_bytes): the
# calendar data in it is held to that size by the parser, and the XML around each object adds a few hundred bytes.
ANSWER_SIZE_FACTOR = 2


class CalDAVError(ProviderError):
    pass


class PasswordRejected(ConnectionBroken, CalDAVError):
    def __init__(self, message: str = "The CalDAV server refused the user name or app password; "
                                      "connect again with a new app password."):
        super().__init__(message)


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str


class _PinnedAdapter(HTTPAdapter):
    """Sends each request to the address its host was vetted to, resolved once for this request.

    ``send`` vets the host (the only name lookup for the request) and keeps the answer on the request;
    ``build_connection_pool_key_attributes`` makes urllib3 connect to that address, with the host name as
    ``server_hostname`` and ``assert_hostname`` for https (SNI, and the certificate is still checked against
    the real name). The Host header names the real host (urllib3 adds none of its own when one is given).
    Connections are pooled per vetted address, so a reused connection goes where it was vetted to go."""

    def __init__(self, policy: ical_fetch.Policy):
        super().__init__()
        self.policy = policy

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(cutoff.WATCHED_POOLS)  # shut at the deadline

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        scheme, host, port = _vet(request.url, self.policy, request)
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
        request.headers["Host"] = name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"
        # no proxy: the connection goes to the vetted address itself (the session reads no environment)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies={})

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        address = getattr(request, "_vetted_address", None)
        if address is None:  # never connect to a host that was not vetted for this request
            raise CalDAVError("The CalDAV request was not checked before sending.", permanent=True)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = host_params["host"]
            pool_kwargs["assert_hostname"] = host_params["host"]
        host_params["host"] = address
        return host_params, pool_kwargs


class _Client(caldav.DAVClient):
    """A DAVClient whose every request is vetted and pinned, never redirected, and bounded by the deadline."""

    def __init__(self, account: Account, policy: ical_fetch.Policy, deadline: Deadline):
        super().__init__(url=account.url, username=account.username, password=account.password,
                         timeout=deadline.timeout(TIMEOUT_SECONDS), ssl_verify_cert=settings.CALDAV_CA_BUNDLE)
        self.last_status: int | None = None
        self.deadline = deadline
        self.session.trust_env = False  # no proxy, .netrc or CA bundle from the environment
        adapter = _PinnedAdapter(policy)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        send = self.session.request

        def bounded_request(method, url, **kwargs):
            kwargs["timeout"] = deadline.timeout(TIMEOUT_SECONDS)
            kwargs["allow_redirects"] = False
            kwargs["stream"] = True  # the body is read below, up to the size cap
            response = send(method, url, **kwargs)
            self.last_status = response.status_code
            if response.is_redirect:
                response.close()
                raise CalDAVError(f"The CalDAV server redirected to {response.headers.get('Location', '?')[:200]}; "
                                  "use that address.", permanent=True)
            _read_capped(response, policy.max_bytes * ANSWER_SIZE_FACTOR)
            return response

        self.session.request = bounded_request


def _read_capped(response: requests.Response, limit: int) -> None:
    """Reads the answer's body (decompressed), refusing it past ``limit`` bytes: a server could otherwise send
    an endless answer at full speed, all of it held in memory until the operation's time runs out."""
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            response.close()
            raise CalDAVError(f"The CalDAV server's answer is larger than {limit // 1024} KiB.", permanent=True)
    response._content = bytes(body)  # what ``content`` gives the library (requests has no public setter)


def _vet(url: str, policy: ical_fetch.Policy, request=None) -> tuple[str, str, int]:
    """Checks the URL; with a request, also resolves its host (once) and pins the request to the answer."""
    try:
        scheme, host, port, _ = ical_fetch.check_url(url)
        if request is not None:
            request._vetted_address = ical_fetch.vetted_address(host, port, policy)
    except ical_fetch.FetchError as exc:
        raise CalDAVError(str(exc).replace("calendar URL", "CalDAV URL"), permanent=exc.permanent) from None
    return scheme, host, port


@contextmanager
def _errors(client: _Client | None = None):
    """CalDAV's and the network's errors as ``CalDAVError``. The client's connections are shut at its deadline,
    or after ``OPERATION_SECONDS`` without one (``core.cutoff``: a server dripping its answer a byte at a time
    cannot hold a booking, nor a worker), which fails as ``BudgetExhausted``."""
    limit = None
    if client is not None:
        limit = OPERATION_SECONDS if client.deadline.at is None else client.deadline.remaining()
    with cutoff.cut_off_after(limit) as watching:
        try:
            with _mapped_errors(client):
                yield
        except ProviderError:
            if watching is not None and watching.cut:
                raise BudgetExhausted() from None
            raise
        finally:
            if client is not None:  # no connection outlives the block: the next one's are watched by the next
                client.session.close()
        if watching is not None and watching.cut:  # a read the cut ended looks like the end of the answer
            raise BudgetExhausted()


@contextmanager
def _mapped_errors(client: _Client | None):
    try:
        yield
    except ProviderError:
        raise
    except dav_error.AuthorizationError:
        if client is not None and client.last_status == 403:
            raise CalDAVError("The CalDAV server does not allow this (403).", permanent=True, status=403) from None
        raise PasswordRejected() from None
    except dav_error.NotFoundError:
        raise CalDAVError("The CalDAV server has no such calendar (404).", permanent=True, status=404) from None
    except requests.Timeout:
        raise CalDAVError("The CalDAV server did not answer in time.") from None
    except requests.exceptions.SSLError:
        raise CalDAVError("The CalDAV server's HTTPS certificate could not be verified.") from None
    except requests.RequestException as exc:
        raise CalDAVError(f"The CalDAV server could not be reached: {type(exc).__name__}.") from None
    except dav_error.DAVError as exc:
        raise CalDAVError(f"The CalDAV server answered with an error: {str(exc)[:200]}") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, etree.LxmlError) as exc:  # odd answers
        raise CalDAVError(f"The CalDAV server's answer could not be read: {type(exc).__name__}.") from None


def _client(account: Account, policy: ical_fetch.Policy, deadline: Deadline) -> _Client:
    _vet(account.url, policy)
    with _errors():
        return _Client(account, policy, deadline)


def discover(account: Account, policy: ical_fetch.Policy, deadline: Deadline = NO_DEADLINE) -> list[CalendarInfo]:
    """Log in and list the account's calendars that hold events (proves the credentials work)."""
    client = _client(account, policy, deadline)
    with _errors(client):
        found = []
        for calendar in client.principal().calendars():
            try:
                components = calendar.get_supported_components()
            except dav_error.DAVError:
                components = ["VEVENT"]
            if components and "VEVENT" not in components:
                continue
            found.append(CalendarInfo(str(calendar.url), calendar.name or str(calendar.url)))
        return found


def read_busy(account: Account, calendar_urls: list[str], start: datetime, end: datetime, *,
              parse: Callable[[bytes], list[Interval]], policy: ical_fetch.Policy, deadline: Deadline = NO_DEADLINE,
              server_expand: bool = True) -> BusyAnswer:
    """Busy time per calendar in ``[start, end)``; a calendar that cannot be read is an error, not empty.
    ``parse`` turns one calendar's events (all its objects in one VCALENDAR) into busy periods; it is the iCal
    import's parser, in its bounded child process."""
    client = _client(account, policy, deadline)
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    errors: dict[str, str] = {}
    for url in calendar_urls:
        try:
            with _errors(client):
                calendar = client.calendar(url=url)
                if server_expand:
                    try:
                        objects = calendar.search(start=start, end=end, event=True, expand="server",
                                                  split_expanded=False)
                    except dav_error.ReportError:  # the server will not expand: the parser does
                        objects = calendar.search(start=start, end=end, event=True)
                else:
                    objects = calendar.search(start=start, end=end, event=True)
                content = merged_calendar([found.data for found in objects])
            periods = parse(content) if content else []
            busy[url] = [(p.start, p.end) for p in periods]
        except PasswordRejected:
            raise
        except CalDAVError as exc:
            if not exc.permanent:
                raise  # the server is down or slow: the whole read failed
            errors[url] = str(exc)
        except CalendarError as exc:
            errors[url] = str(exc)
    return BusyAnswer(busy, errors)


_COMPONENT = re.compile(r"^BEGIN:(VEVENT|VTIMEZONE|VFREEBUSY)$.*?^END:\1$", re.S | re.M | re.I)


def merged_calendar(objects: list) -> bytes:
    """The events, time zones and free/busy of several calendar objects, as one VCALENDAR (b"" if none)."""
    parts = []
    for data in objects:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        parts += [m.group(0) for m in _COMPONENT.finditer(text.replace("\r\n", "\n"))]
    if not parts:
        return b""
    text = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", *parts, "END:VCALENDAR", ""])
    return text.replace("\n", "\r\n").encode()


def busy_block_ical(block: BusyBlock) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", block_uid(block))
    event.add("dtstamp", datetime.now(dt_timezone.utc))
    event.add("dtstart", block.start.astimezone(dt_timezone.utc))
    event.add("dtend", block.end.astimezone(dt_timezone.utc))
    event.add("sequence", block.sequence)
    event.add("summary", f"{block.title} (booked)")
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    event.add("status", "CONFIRMED")
    event.add("x-interview-id", str(block.interview_id))
    event.add("x-interview-uid", block.interview_uid)
    calendar.add_component(event)
    return calendar.to_ical()


def block_uid(block: BusyBlock) -> str:
    return f"{block.key}@interviews"


def _block_url(calendar_url: str, block: BusyBlock) -> str:
    base = calendar_url if calendar_url.endswith("/") else calendar_url + "/"
    return urljoin(base, f"{block.key}.ics")


def put_block(account: Account, calendar_url: str, block: BusyBlock, *, policy: ical_fetch.Policy,
              deadline: Deadline = NO_DEADLINE) -> str:
    """PUT the block at its own URL (named by its stable key): a retry or a reschedule overwrites it."""
    client = _client(account, policy, deadline)
    with _errors(client):
        response = client.put(_block_url(calendar_url, block), busy_block_ical(block),
                              {"Content-Type": 'text/calendar; charset="utf-8"'})
    if response.status == 201:
        return "inserted"
    if response.status in (200, 204):
        return "updated"
    raise CalDAVError(f"The CalDAV server answered {response.status} to the busy block.",
                      permanent=400 <= response.status < 500 and response.status not in (408, 409, 423, 429),
                      status=response.status)


def delete_block(account: Account, calendar_url: str, block: BusyBlock, *, policy: ical_fetch.Policy,
                 deadline: Deadline = NO_DEADLINE) -> str:
    client = _client(account, policy, deadline)
    with _errors(client):
        response = client.delete(_block_url(calendar_url, block))
    if response.status in (404, 410):
        return "already gone"
    if response.status in (200, 204):
        return "deleted"
    raise CalDAVError(f"The CalDAV server answered {response.status} to deleting the busy block.",
                      permanent=400 <= response.status < 500 and response.status not in (408, 409, 423, 429),
                      status=response.status)

