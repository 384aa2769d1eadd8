"""The adapter around Google's client libraries: the only module that talks to Google.

OAuth with google-auth-oauthlib (PKCE, offline access); Calendar API v3 through google-api-python-client,
built from the discovery document bundled with the library (no network to build it). Every failure comes
out as ``GoogleError`` (the providers' ``ProviderError``: ``permanent`` when trying again cannot help), or
``GrantRevoked`` when the user's grant is gone. Every HTTP call has an explicit timeout: the API calls go
through an ``httplib2.Http(timeout=...)`` (the library's default is the socket's, which can wait for minutes),
and the caller says how many retries it can afford (none in a request). ``GOOGLE_API_ENDPOINT``,
``GOOGLE_TOKEN_URI`` and ``GOOGLE_AUTH_URI`` point it at an emulator.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.parse import urlsplit

import google.auth.exceptions
import google_auth_httplib2
import googleapiclient.discovery
import googleapiclient.errors
import httplib2
import requests
from django.conf import settings
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from core.calendar_providers import NO_DEADLINE, ConnectionBroken, Deadline, ProviderError
from integrations.oauth import Tokens

SCOPES = [
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.events",
]
TIMEOUT_SECONDS = 20


class GoogleError(ProviderError):
    pass


class GrantRevoked(ConnectionBroken, GoogleError):
    def __init__(self, message: str = "Google access was revoked or has expired; connect Google Calendar again."):
        super().__init__(message)


def is_configured() -> bool:
    return bool(settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET)


def _allow_http_for_local_emulator() -> None:
    """oauthlib insists on https; a local emulator (only ever on loopback) speaks plain http."""
    if all(urlsplit(u).hostname in ("127.0.0.1", "localhost", "::1")
           for u in (settings.GOOGLE_AUTH_URI, settings.GOOGLE_TOKEN_URI)):
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _flow(code_verifier: str | None = None) -> Flow:
    config = {
        "web": {
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
            "auth_uri": settings.GOOGLE_AUTH_URI,
            "token_uri": settings.GOOGLE_TOKEN_URI,
            "redirect_uris": [settings.GOOGLE_REDIRECT_URI],
        }
    }
    flow = Flow.from_client_config(config, scopes=SCOPES, code_verifier=code_verifier, autogenerate_code_verifier=True)
    flow.redirect_uri = settings.GOOGLE_REDIRECT_URI
    return flow


def authorization_url(state: str) -> tuple[str, str]:
    """The consent URL and the PKCE code verifier to keep (server-side) for the callback."""
    _allow_http_for_local_emulator()
    flow = _flow()
    url, _ = flow.authorization_url(state=state, access_type="offline", prompt="consent", include_granted_scopes="true")
    return url, flow.code_verifier


def exchange_code(code: str, code_verifier: str) -> Tokens:
    _allow_http_for_local_emulator()
    flow = _flow(code_verifier=code_verifier)
    try:
        flow.fetch_token(code=code, timeout=TIMEOUT_SECONDS)
    except Exception as exc:  # oauthlib raises its own errors for a bad or used code
        raise GoogleError(f"Google did not accept the authorization code: {exc}", permanent=True) from None
    creds = flow.credentials
    if not creds.refresh_token:
        raise GoogleError("Google sent no refresh token; remove the app's access and connect again.", permanent=True)
    return Tokens(creds.token, creds.refresh_token, _aware(creds.expiry), list(creds.scopes or SCOPES))


def _aware(expiry: datetime | None) -> datetime | None:
    # google-auth keeps expiry as naive UTC
    return expiry.replace(tzinfo=dt_timezone.utc) if expiry is not None and expiry.tzinfo is None else expiry


def credentials(tokens: Tokens) -> Credentials:
    expiry = tokens.expiry.astimezone(dt_timezone.utc).replace(tzinfo=None) if tokens.expiry else None
    return Credentials(
        token=tokens.access_token or None,
        refresh_token=tokens.refresh_token,
        token_uri=settings.GOOGLE_TOKEN_URI,
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
        scopes=tokens.scopes or SCOPES,
        expiry=expiry,
    )


def current_tokens(creds: Credentials, previous: Tokens) -> Tokens:
    """The tokens after a call (the library may have refreshed the access token)."""
    return Tokens(creds.token or "", creds.refresh_token or previous.refresh_token, _aware(creds.expiry), previous.scopes)


@dataclass(frozen=True)
class Budget:
    """Until when the calls may run (each call's socket timeout is what is left then, at most
    ``TIMEOUT_SECONDS``) and how many retries."""

    deadline: Deadline = NO_DEADLINE
    retries: int | None = None  # None: settings.GOOGLE_API_RETRIES

    @property
    def timeout(self) -> float:
        return self.deadline.timeout(TIMEOUT_SECONDS)


def _service(creds: Credentials, budget: Budget):
    """The Calendar API with a fresh access token: an expired one is refreshed first, on its own, so that the
    API call after it is given only what is left of the budget (one timeout for both could take twice it)."""
    if not creds.valid and creds.refresh_token:
        with _google_errors():
            creds.refresh(google_auth_httplib2.Request(httplib2.Http(timeout=budget.timeout)))
    endpoint = settings.GOOGLE_API_ENDPOINT.rstrip("/") + "/calendar/v3/"
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=budget.timeout))
    return googleapiclient.discovery.build(
        "calendar", "v3", http=http, static_discovery=True, cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    )


def _execute(request, budget: Budget):
    retries = settings.GOOGLE_API_RETRIES if budget.retries is None else budget.retries
    with _google_errors():
        # the client library retries 429 and 5xx itself, with exponential backoff
        return request.execute(num_retries=retries)


@contextmanager
def _google_errors():
    """Google's failures as ``GoogleError`` (``GrantRevoked`` for a grant that is gone)."""
    try:
        yield
    except google.auth.exceptions.RefreshError as exc:
        raise GrantRevoked() from exc
    except googleapiclient.errors.HttpError as exc:
        status = exc.resp.status
        if status == 401:
            raise GrantRevoked() from exc
        permanent = status in (400, 403, 404, 410)
        raise GoogleError(f"Google Calendar answered {status}: {exc.reason}", permanent=permanent, status=status) from exc
    except TimeoutError as exc:  # socket.timeout
        raise GoogleError("Google Calendar did not answer in time.") from exc
    except (httplib2.HttpLib2Error, OSError, google.auth.exceptions.TransportError) as exc:
        raise GoogleError(f"Google Calendar could not be reached: {type(exc).__name__}") from exc


def _rfc3339(value: datetime) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt_timezone.utc)


@dataclass(frozen=True)
class FreeBusy:
    busy: dict[str, list[tuple[datetime, datetime]]]
    errors: dict[str, str]


def freebusy(creds: Credentials, calendars: list[str], start: datetime, end: datetime,
             budget: Budget = Budget()) -> FreeBusy:
    """Busy times per calendar in ``[start, end)`` (at most 90 days: Google's limit), and per-calendar errors."""
    body = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "items": [{"id": c} for c in calendars]}
    answer = _execute(_service(creds, budget).freebusy().query(body=body), budget)
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    errors: dict[str, str] = {}
    for calendar_id, info in (answer.get("calendars") or {}).items():
        if info.get("errors"):
            errors[calendar_id] = ", ".join(e.get("reason", "error") for e in info["errors"])
            continue
        busy[calendar_id] = [(_parse_time(b["start"]), _parse_time(b["end"])) for b in info.get("busy", [])]
    for calendar_id in calendars:
        if calendar_id not in busy and calendar_id not in errors:
            errors[calendar_id] = "notFound"
    return FreeBusy(busy, errors)


def event_put(creds: Credentials, calendar_id: str, event: dict, budget: Budget = Budget()) -> str:
    """Insert the event with its own id, or update it if that id exists (so a retry never makes two)."""
    events = _service(creds, budget).events()
    try:
        _execute(events.insert(calendarId=calendar_id, body=event, sendUpdates="none"), budget)
        return "inserted"
    except GoogleError as exc:
        if exc.status != 409:  # 409: an event with this id exists already
            raise
    events = _service(creds, budget).events()  # a timeout of what is left now
    _execute(events.update(calendarId=calendar_id, eventId=event["id"], body=event, sendUpdates="none"), budget)
    return "updated"


def event_delete(creds: Credentials, calendar_id: str, event_id: str, budget: Budget = Budget()) -> str:
    try:
        _execute(_service(creds, budget).events().delete(calendarId=calendar_id, eventId=event_id,
                                                         sendUpdates="none"), budget)
    except GoogleError as exc:
        if exc.status in (404, 410):
            return "already gone"
        raise
    return "deleted"


def revoke(token: str) -> None:
    """Best effort: the grant is forgotten here whatever Google answers."""
    try:
        requests.post(settings.GOOGLE_REVOKE_URI, data={"token": token}, timeout=TIMEOUT_SECONDS)
    except requests.RequestException:
        pass

