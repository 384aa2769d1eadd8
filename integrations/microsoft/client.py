"""The adapter around msal and Microsoft Graph v1.0: the only module that talks to Microsoft.

Sign-in: msal's authorization code flow (PKCE, ``offline_access``, ``Calendars.ReadWrite`` and nothing
more; msal adds ``openid profile``); msal's own calls (the authority's metadata, the token endpoint) go
through ``_SignInSession``, which gives each its timeout from the caller's deadline and, when a booking waits,
no retry. Graph over plain HTTP with ``requests``, every call with an explicit timeout: free/busy with
``POST /me/calendar/getSchedule`` in windows of at most 62 days (Graph's limit), busy blocks with
``/me/events``. ``MICROSOFT_AUTHORITY`` and ``MICROSOFT_GRAPH_ENDPOINT`` point it at an emulator.

Every failure comes out as ``MicrosoftError`` (``permanent`` when trying again cannot help), or
``GrantRevoked`` when the refresh token no longer works. 429 and 503 are retried after ``Retry-After`` only
when the caller allows retries (the worker; never a request that a booking waits on).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import msal
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from core.calendar_providers import NO_DEADLINE, ConnectionBroken, Deadline, ProviderError
from integrations import oauth

SCOPES = ["Calendars.ReadWrite"]
TIMEOUT_SECONDS = 15
MAX_SCHEDULE_SPAN = timedelta(days=62)
MAX_RETRY_AFTER_SECONDS = 30
BUSY_STATUSES = {"busy", "tentative", "oof"}  # free and workingElsewhere are not busy
INTERVIEW_PROPERTY = "String {6d3c0e43-8a4b-4f5e-9b7a-1c2d3e4f5a6b} Name interview_id"


class MicrosoftError(ProviderError):
    pass


class GrantRevoked(ConnectionBroken, MicrosoftError):
    def __init__(self, message: str = "Microsoft 365 access was revoked or has expired; connect Outlook again."):
        super().__init__(message)


@dataclass(frozen=True)
class Tokens(oauth.Tokens):
    mailbox: str = ""


def is_configured() -> bool:
    return bool(settings.MICROSOFT_CLIENT_ID and settings.MICROSOFT_CLIENT_SECRET)


class _SignInSession(requests.Session):
    """msal's HTTP client: each call's timeout is what is left of the deadline when it starts, and no call is
    tried again when a booking waits (msal's own session fixes one timeout for all its calls and retries once,
    so an identity endpoint that hangs held a booking for twice the budget)."""

    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline
        if deadline.retries:  # the worker: msal's own "one retry on a connection error"
            adapter = HTTPAdapter(max_retries=1)
            self.mount("http://", adapter)
            self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs):
        kwargs["timeout"] = self.deadline.timeout(TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


def _app(deadline: Deadline = NO_DEADLINE) -> msal.ConfidentialClientApplication:
    authority = f"{settings.MICROSOFT_AUTHORITY.rstrip('/')}/{settings.MICROSOFT_TENANT}"
    try:
        return msal.ConfidentialClientApplication(
            settings.MICROSOFT_CLIENT_ID, client_credential=settings.MICROSOFT_CLIENT_SECRET, authority=authority,
            instance_discovery=False, http_client=_SignInSession(deadline),
            timeout=TIMEOUT_SECONDS,  # the session narrows it to what is left of the deadline, call by call
        )
    except ValueError as exc:  # the authority's OpenID configuration could not be read
        raise MicrosoftError(f"Microsoft sign-in is not reachable: {str(exc)[:200]}") from None
    except requests.Timeout:
        raise MicrosoftError("Microsoft sign-in did not answer in time.") from None
    except requests.RequestException as exc:
        raise MicrosoftError(f"Microsoft sign-in could not be reached: {type(exc).__name__}.") from None


def start_flow(state: str) -> dict:
    """msal's flow (keep it server-side for the callback): ``auth_uri`` is the consent URL. The answer comes
    back in the query (the API's callback is a GET, as Google's); the code is useless without the PKCE
    verifier we keep, and the state is signed and one-use."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        return _app().initiate_auth_code_flow(SCOPES, redirect_uri=settings.MICROSOFT_REDIRECT_URI, state=state,
                                              response_mode="query")


def _tokens(result: dict, previous: Tokens | None = None) -> Tokens:
    expiry = datetime.now(dt_timezone.utc) + timedelta(seconds=int(result.get("expires_in") or 3600))
    claims = result.get("id_token_claims") or {}
    mailbox = claims.get("preferred_username") or claims.get("email") or (previous.mailbox if previous else "")
    return Tokens(
        access_token=result["access_token"],
        refresh_token=result.get("refresh_token") or (previous.refresh_token if previous else ""),
        expiry=expiry,
        scopes=str(result.get("scope") or " ".join(SCOPES)).split(),
        mailbox=mailbox,
    )


def finish_flow(flow: dict, query: dict) -> Tokens:
    try:
        result = _app().acquire_token_by_auth_code_flow(flow, query, scopes=SCOPES)
    except ValueError as exc:  # msal: the state or nonce does not match
        raise MicrosoftError(f"The Microsoft sign-in answer does not match this request: {exc}",
                             permanent=True) from None
    except requests.RequestException as exc:
        raise MicrosoftError(f"Microsoft sign-in could not be reached: {type(exc).__name__}.") from None
    if "access_token" not in result:
        reason = result.get("error_description") or result.get("error") or "no token"
        raise MicrosoftError(f"Microsoft did not accept the authorization code: {str(reason)[:300]}", permanent=True)
    tokens = _tokens(result)
    if not tokens.refresh_token:
        raise MicrosoftError("Microsoft sent no refresh token (offline access was not granted).", permanent=True)
    return tokens


def refresh(tokens: Tokens, deadline: Deadline = NO_DEADLINE) -> Tokens:
    app = _app(deadline)
    try:
        result = app.acquire_token_by_refresh_token(tokens.refresh_token, scopes=SCOPES)
    except requests.Timeout:
        raise MicrosoftError("Microsoft sign-in did not answer in time.") from None
    except requests.RequestException as exc:
        raise MicrosoftError(f"Microsoft sign-in could not be reached: {type(exc).__name__}.") from None
    if "access_token" in result:
        return _tokens(result, tokens)
    if result.get("error") in ("invalid_grant", "interaction_required", "invalid_client", "unauthorized_client"):
        raise GrantRevoked()
    reason = str(result.get("error_description") or result.get("error"))[:300]
    raise MicrosoftError(f"Microsoft sign-in failed: {reason}")


class Session:
    """Graph calls with one user's tokens: refreshes an expired access token (and once on a 401), and
    keeps the tokens it ends with in ``tokens`` for the caller to store."""

    def __init__(self, tokens: Tokens, deadline: Deadline = NO_DEADLINE):
        self.tokens = tokens
        self.deadline = deadline
        self._refreshed = False

    def _ensure_fresh(self) -> None:
        expiry = self.tokens.expiry
        if not self.tokens.access_token or (expiry and expiry <= datetime.now(dt_timezone.utc) + timedelta(seconds=60)):
            self._refresh()

    def _refresh(self) -> None:
        self.tokens = refresh(self.tokens, self.deadline)
        self._refreshed = True

    def call(self, method: str, path: str, *, json: dict | None = None,
             headers: dict | None = None) -> requests.Response:
        self._ensure_fresh()
        url = settings.MICROSOFT_GRAPH_ENDPOINT.rstrip("/") + path
        attempts = 1 + (settings.MICROSOFT_API_RETRIES if self.deadline.retries else 0)
        for attempt in range(attempts):
            try:
                response = requests.request(
                    method, url, json=json, timeout=self.deadline.timeout(TIMEOUT_SECONDS), allow_redirects=False,
                    headers={"Authorization": f"Bearer {self.tokens.access_token}", **(headers or {})},
                )
            except requests.Timeout:
                raise MicrosoftError("Microsoft Graph did not answer in time.") from None
            except requests.RequestException as exc:
                raise MicrosoftError(f"Microsoft Graph could not be reached: {type(exc).__name__}.") from None
            if response.status_code == 401 and not self._refreshed:
                self._refresh()  # an access token that expired early, or was revoked: a new one, once
                return self.call(method, path, json=json, headers=headers)
            if response.status_code == 401:
                raise GrantRevoked()
            if response.status_code in (429, 500, 502, 503, 504) and attempt + 1 < attempts:
                time.sleep(_retry_after(response, attempt))
                continue
            if response.status_code >= 400:
                raise _error(response)
            return response
        raise AssertionError("unreachable")


def _retry_after(response: requests.Response, attempt: int) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        seconds = 2.0 ** attempt
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


def _error(response: requests.Response) -> MicrosoftError:
    try:
        detail = response.json().get("error", {}).get("message", "")
    except ValueError:
        detail = ""
    status = response.status_code
    permanent = status in (400, 403, 404, 405, 409, 410)
    suffix = f" (retry after {response.headers['Retry-After']} s)" if "Retry-After" in response.headers else ""
    return MicrosoftError(f"Microsoft Graph answered {status}{suffix}: {str(detail)[:200]}".rstrip(": "),
                          permanent=permanent, status=status)


def _graph_time(value: datetime) -> dict:
    return {"dateTime": value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _parse_graph_time(value: dict) -> datetime:
    text = value["dateTime"]
    if "." in text:
        text = text.split(".", 1)[0]  # Graph sends seven fractional digits
    parsed = datetime.fromisoformat(text.replace("Z", ""))
    if str(value.get("timeZone", "UTC")).upper() not in ("UTC", "ETC/UTC", "Z"):
        raise MicrosoftError(f"Microsoft Graph answered in the time zone {value.get('timeZone')!r}, not UTC.")
    return parsed.replace(tzinfo=dt_timezone.utc)


def schedule(session: Session, mailbox: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Busy time of the mailbox in ``[start, end)`` (busy, tentative, out of office), in 62-day windows."""
    busy: list[tuple[datetime, datetime]] = []
    window = start
    while window < end:
        window_end = min(window + MAX_SCHEDULE_SPAN, end)
        answer = session.call("POST", "/me/calendar/getSchedule", headers={"Prefer": 'outlook.timezone="UTC"'}, json={
            "schedules": [mailbox], "startTime": _graph_time(window), "endTime": _graph_time(window_end),
            "availabilityViewInterval": 60,
        }).json()
        for item in answer.get("value", []):
            if item.get("error"):
                error = item["error"]
                raise MicrosoftError(f"Microsoft Graph could not read {mailbox}: "
                                     f"{error.get('responseCode') or error.get('message') or 'error'}", permanent=True)
            for entry in item.get("scheduleItems", []):
                if str(entry.get("status", "")).lower() in BUSY_STATUSES:
                    busy.append((_parse_graph_time(entry["start"]), _parse_graph_time(entry["end"])))
        window = window_end
    return busy


def event_body(block) -> dict:
    return {
        "subject": f"{block.title} (booked)",
        "start": _graph_time(block.start),
        "end": _graph_time(block.end),
        "showAs": "busy",
        "sensitivity": "private",
        "isReminderOn": False,
        "transactionId": block.key,  # Graph does not create a second event for a retried POST
        "singleValueExtendedProperties": [{"id": INTERVIEW_PROPERTY, "value": str(block.interview_id)}],
    }


def event_create(session: Session, block) -> str:
    return session.call("POST", "/me/events", json=event_body(block)).json()["id"]


def event_update(session: Session, event_id: str, block) -> None:
    body = event_body(block)
    del body["transactionId"]
    session.call("PATCH", f"/me/events/{requests.utils.quote(event_id, safe='')}", json=body)


def event_delete(session: Session, event_id: str) -> str:
    try:
        session.call("DELETE", f"/me/events/{requests.utils.quote(event_id, safe='')}")
    except MicrosoftError as exc:
        if exc.status in (404, 410):
            return "already gone"
        raise
    return "deleted"
