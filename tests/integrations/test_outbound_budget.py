"""A booking never waits on a slow calendar for more than the budget: one try, then the last known data.

The providers here are Google's and Microsoft's real client code against a loopback server that accepts
connections and never answers (before this budget a booking waited 60 s, the library's socket default, times 3
retries); CalDAV's is in test_caldav.py."""

import json
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone as dt_timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import calendar_providers
from integrations.google import client as google_client
from integrations.google.crypto import encrypt
from integrations.google.services import _tokens as client_tokens, google_sync
from integrations.models import GoogleConnection, MicrosoftConnection
from slots.models import BusyPeriod
from tests.integrations.google_emulator import google_emulator
from tests.integrations.silent_server import silent_server
from tests.integrations.test_google import connect, rfc
from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanging_google(settings, interviewer, interviewer_client, monkeypatch):
    """A connected interviewer whose Google then stops answering; records the syncs left to the worker."""
    with google_emulator() as (base, state):
        settings.GOOGLE_CLIENT_ID = "client-id"
        settings.GOOGLE_CLIENT_SECRET = "client-secret"
        settings.GOOGLE_API_ENDPOINT = base
        settings.GOOGLE_TOKEN_URI = f"{base}/token"
        settings.GOOGLE_AUTH_URI = f"{base}/auth"
        settings.GOOGLE_REVOKE_URI = f"{base}/revoke"
        state.busy["primary"] = [(rfc(at(10)), rfc(at(11)))]
        connect(interviewer_client, state)
        assert google_sync(user_id=interviewer.pk) == "synced"  # the last known busy time
    queued = []
    monkeypatch.setattr("integrations.google.services.async_task", lambda *args: queued.append(args))
    with silent_server() as (silent, held):
        settings.GOOGLE_API_ENDPOINT = silent
        settings.GOOGLE_TOKEN_URI = f"{silent}/token"
        settings.CALENDAR_BOOKING_BUDGET_SECONDS = 1.0
        yield queued, held


def _stale(interviewer, *, expired_token=False):
    update = {"last_synced": None}
    if expired_token:
        update["access_token_expiry"] = datetime.now(dt_timezone.utc) - timedelta(minutes=1)
    GoogleConnection.objects.filter(user=interviewer).update(**update)


@pytest.mark.parametrize("expired_token", [False, True], ids=["api call hangs", "token refresh hangs"])
def test_booking_returns_within_the_budget_on_the_last_known_busy_time(
        hr_client, candidate, interviewer, hanging_google, expired_token):
    queued, held = hanging_google
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    assert BusyPeriod.objects.filter(user=interviewer, source="google").count() == 1
    _stale(interviewer, expired_token=expired_token)
    queued.clear()

    started = time.monotonic()
    taken = book(hr_client, candidate, [interviewer], 10)  # busy in the last known Google data
    booked = book(hr_client, candidate, [interviewer], 11)
    elapsed = time.monotonic() - started

    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_unavailable"
    assert booked.status_code == 201, booked.content
    # two bookings, each allowed 1 s for calendars: far below one library timeout (20 s) or the old 60 s
    assert elapsed < 2 * 1.0 + 2.0, elapsed
    assert held, "the calls did reach the silent server"
    # and a full sync is left to the worker each time
    assert queued == [("integrations.google.tasks.sync_google", interviewer.pk)] * 2
    connection = GoogleConnection.objects.get(user=interviewer)
    assert connection.status == "active" and "in time" in connection.last_error


def test_no_retries_in_the_request_path(hr_client, candidate, interviewer, settings, interviewer_client, monkeypatch):
    with google_emulator() as (base, state):
        settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "client-id", "client-secret"
        settings.GOOGLE_API_ENDPOINT, settings.GOOGLE_TOKEN_URI = base, f"{base}/token"
        settings.GOOGLE_AUTH_URI, settings.GOOGLE_REVOKE_URI = f"{base}/auth", f"{base}/revoke"
        settings.GOOGLE_API_RETRIES = 1
        connect(interviewer_client, state)
        monkeypatch.setattr("integrations.google.services.async_task", lambda *args: None)
        free(candidate, 9, 13)
        free(interviewer, 9, 13)
        _stale(interviewer)
        state.fail_next = [503] * 5
        before = len([r for r in state.requests if r[1] == "/calendar/v3/freeBusy"])
        assert book(hr_client, candidate, [interviewer], 10).status_code == 201
        assert len([r for r in state.requests if r[1] == "/calendar/v3/freeBusy"]) - before == 1
        # the worker's sync does retry (the 503 runs out on its second try)
        state.fail_next = [503]
        assert google_sync(user_id=interviewer.pk) == "synced"


def test_the_worker_sync_has_an_explicit_transport_timeout(interviewer, hanging_google, monkeypatch, settings):
    monkeypatch.setattr(google_client, "TIMEOUT_SECONDS", 0.5)
    settings.GOOGLE_API_RETRIES = 0
    started = time.monotonic()
    assert google_sync(user_id=interviewer.pk) == "failed"
    assert time.monotonic() - started < 5  # 0.5 s per call (two 90-day windows at most), never the socket's 60 s
    assert "in time" in GoogleConnection.objects.get(user=interviewer).last_error
    assert BusyPeriod.objects.filter(user=interviewer, source="google").count() == 1  # the last good data stays


@contextmanager
def slow_token_then_silence(delay: float):
    """Google's token endpoint answering after ``delay`` seconds, and an API that never answers."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/token":
                release.wait(30)
                return
            time.sleep(delay)
            body = json.dumps({"access_token": "fresh", "expires_in": 3600, "token_type": "Bearer"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_a_slow_token_refresh_leaves_the_api_call_only_what_is_left(interviewer, hanging_google, settings):
    """The refresh and the API call used to share one timeout fixed before either: a refresh taking 0.8 s of a
    1.2 s budget, then a hanging API, held a booking for 2 s. Now the API call gets the 0.4 s left."""
    _stale(interviewer, expired_token=True)
    with slow_token_then_silence(0.8) as base:
        settings.GOOGLE_API_ENDPOINT, settings.GOOGLE_TOKEN_URI = base, f"{base}/token"
        started = time.monotonic()
        results = calendar_providers.sync_before_booking(user_ids=[interviewer.pk], budget=1.2)
        elapsed = time.monotonic() - started
    assert results == {("google", interviewer.pk): "failed"}
    assert 0.8 <= elapsed < 1.2 + 0.4, elapsed
    connection = GoogleConnection.objects.get(user=interviewer)
    assert "in time" in connection.last_error
    assert client_tokens(connection).access_token == "fresh"  # the refreshed token was kept


def test_an_exhausted_budget_starts_no_call(interviewer, hanging_google):
    queued, held = hanging_google
    _stale(interviewer)
    queued.clear()
    results = calendar_providers.sync_before_booking(user_ids=[interviewer.pk], budget=0.0)
    assert results == {("google", interviewer.pk): "out of time"}
    assert held == [] and queued == [("integrations.google.tasks.sync_google", interviewer.pk)]


@pytest.mark.parametrize("expired_token", [False, True], ids=["graph call hangs", "token refresh hangs"])
def test_a_hanging_microsoft_holds_a_booking_no_longer_than_the_budget_and_is_tried_once(
        hr_client, candidate, interviewer, settings, monkeypatch, expired_token):
    """msal's own session retried a hanging identity endpoint once with the same timeout: twice the budget."""
    queued = []
    monkeypatch.setattr("integrations.microsoft.services.async_task", lambda *args: queued.append(args))
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    expiry = datetime.now(dt_timezone.utc) + (-timedelta(minutes=5) if expired_token else timedelta(hours=1))
    MicrosoftConnection.objects.create(user=interviewer, mailbox="ivan@contoso.example", scopes=["Calendars.ReadWrite"],
                                       refresh_token_encrypted=encrypt("refresh"), access_token_encrypted=encrypt("at"),
                                       access_token_expiry=expiry)
    with silent_server() as (silent, held):
        settings.MICROSOFT_CLIENT_ID, settings.MICROSOFT_CLIENT_SECRET = "client-id", "client-secret"
        settings.MICROSOFT_AUTHORITY = silent.replace("http://", "https://")  # msal takes only https: TLS hangs
        settings.MICROSOFT_GRAPH_ENDPOINT = f"{silent}/v1.0"
        settings.CALENDAR_BOOKING_BUDGET_SECONDS = 1.0
        started = time.monotonic()
        r = book(hr_client, candidate, [interviewer], 10)
        elapsed = time.monotonic() - started
        calls = len(held)
    assert r.status_code == 201, r.content
    assert calls == 1, "one try, no retry, while a booking waits"
    assert elapsed < 1.0 + 0.7, elapsed  # before the fix: two full timeouts (2 s)
    assert queued == [("integrations.tasks.sync_calendar", "microsoft", interviewer.pk)]
    connection = MicrosoftConnection.objects.get(user=interviewer)
    assert connection.status == "active" and "in time" in connection.last_error
