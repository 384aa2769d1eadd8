"""Benchmark: how long a booking waits when interviewers' calendar providers hang. Exits 1 if one waited too long.

    bin/bench budget                     # SQLite under var/ (a fresh file)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bin/bench budget
    BENCH_N=5 BENCH_MARGIN=0.5 bin/bench budget

The promise: a booking never waits on a slow provider for more than ``CALENDAR_BOOKING_BUDGET_SECONDS`` (its
default unless the environment sets it). Each provider's endpoints point at a loopback server that accepts
connections and never answers (tests/integrations/silent_server.py), plain TCP, so an https endpoint hangs in
the TLS handshake. Connections are written as rows (tokens encrypted, never synced), so every booking first
tries a sync, through the providers' real client code: Google (googleapiclient + httplib2), CalDAV (the caldav
library) and Microsoft 365 (msal for the token, requests for Graph). Bookings go through the HTTP API
(``POST /api/v1/interviews/`` on a threaded WSGI server in this process); the task queue is the database.

Rows: no provider; each provider hanging on its API call; a CalDAV server that drips its answer a byte every
0.1 s for 30 s (each read gets a byte inside its timeout: only the cut-off at the budget, core/cutoff.py, ends
it); Microsoft hanging on the token refresh (an expired access token: msal's own HTTP calls; Google's token
refresh is covered by tests/integrations/test_outbound_budget.py); all three hanging at once for one interviewer.
Figures: p50 and max of N bookings (BENCH_N, default 3; about 50 s in all at the default budget), and how many
connections the silent servers were sent. Every booking must answer 201 within budget + BENCH_MARGIN (default
1 s), else the exit status is 1.
"""

import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import drop_database, post, prepare_database, serve  # noqa: E402  (also sets up the environment)
from tests.integrations.silent_server import dripping_server, silent_server  # noqa: E402

N = int(os.environ.get("BENCH_N", "3"))
MARGIN = float(os.environ.get("BENCH_MARGIN", "1.0"))
HOUR = timedelta(hours=1)
CALDAV_URL = ""  # the silent CalDAV server's base URL, set by configure()
DRIPPING_CALDAV_URL = ""  # the dripping one's, set by main()


def configure(google: str, caldav: str, microsoft: str) -> None:
    """Every provider's endpoints at its silent server (before Django reads the settings)."""
    host = microsoft.removeprefix("http://")
    os.environ.pop("REDIS_URL", None)  # the queue and cache stay in this process and its database
    os.environ.update({
        "GOOGLE_CLIENT_ID": "bench-client", "GOOGLE_CLIENT_SECRET": "bench-secret",
        "GOOGLE_API_ENDPOINT": google, "GOOGLE_TOKEN_URI": f"{google}/token",
        "MICROSOFT_CLIENT_ID": "bench-client", "MICROSOFT_CLIENT_SECRET": "bench-secret",
        "MICROSOFT_AUTHORITY": f"https://{host}",  # msal takes only https: the TLS handshake hangs
        "MICROSOFT_GRAPH_ENDPOINT": f"{microsoft}/v1.0",
        "ICAL_URL_ALLOWED_NETWORKS": "127.0.0.1/32",  # the silent CalDAV server is on loopback
    })
    global CALDAV_URL
    CALDAV_URL = caldav


def connect(user, providers: set[str], *, expired_token: bool = False) -> None:
    from integrations.google.crypto import encrypt
    from integrations.models import CalDAVConnection, GoogleConnection, MicrosoftConnection

    expiry = datetime.now(dt_timezone.utc) + (-timedelta(minutes=5) if expired_token else timedelta(days=1))
    tokens = {"refresh_token_encrypted": encrypt("bench-refresh"), "access_token_encrypted": encrypt("bench-access"),
              "access_token_expiry": expiry}
    if "google" in providers:
        GoogleConnection.objects.create(user=user, calendars=["primary"], scopes=[
            "https://www.googleapis.com/auth/calendar.freebusy", "https://www.googleapis.com/auth/calendar.events"],
            **tokens)
    for name, base in (("caldav", CALDAV_URL), ("caldav-drip", DRIPPING_CALDAV_URL)):
        if name not in providers:
            continue
        calendar = f"{base}/dav/ann/work/"
        CalDAVConnection.objects.create(user=user, url=f"{base}/dav/", username="ann",
                                        password_encrypted=encrypt("bench-app-password"),
                                        available_calendars=[{"id": calendar, "name": "Work"}],
                                        calendars=[calendar], busy_calendar=calendar)
    if "microsoft" in providers:
        MicrosoftConnection.objects.create(user=user, mailbox="ivan@contoso.example", scopes=["Calendars.ReadWrite"],
                                           **tokens)


def never_synced(user) -> None:
    """Every booking finds the calendars stale, so it tries a sync (a failed sync leaves them stale anyway)."""
    from integrations.models import CalDAVConnection, GoogleConnection, MicrosoftConnection

    for model in (GoogleConnection, CalDAVConnection, MicrosoftConnection):
        model.objects.filter(user=user).update(last_synced=None)


def scenario(base, token, label, providers, day, held, expired_token=False):
    """N bookings of an hour from ``day`` for a new interviewer with these providers connected."""
    from core.models import Role, User
    from slots.models import AvailabilityWindow

    tag = label.replace(" ", "-").replace(",", "").replace("(", "").replace(")", "")
    interviewer = User.objects.create_user(email=f"i-{tag}@example.com", password="x-bench-pass-1",
                                           role=Role.INTERVIEWER)
    candidate = User.objects.create_user(email=f"c-{tag}@example.com", password="x-bench-pass-1")
    AvailabilityWindow.objects.bulk_create(AvailabilityWindow(user=u, start=day, end=day + N * HOUR)
                                           for u in (interviewer, candidate))
    connect(interviewer, providers, expired_token=expired_token)
    reached_before = {name: len(conns) for name, conns in held.items()}
    times, statuses = [], []
    for k in range(N):
        never_synced(interviewer)
        body = {"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": (day + k * HOUR).isoformat()}
        started = time.perf_counter()
        statuses.append(post(f"{base}/api/v1/interviews/", token, body))
        times.append(time.perf_counter() - started)
    reached = {name: len(conns) - reached_before[name] for name, conns in held.items()}
    return times, statuses, reached


def main() -> int:
    global DRIPPING_CALDAV_URL
    with silent_server() as (google, google_held), silent_server() as (caldav, caldav_held), \
            silent_server() as (microsoft, microsoft_held), dripping_server(every=0.1, lasting=30) as (dripping, _):
        configure(google, caldav, microsoft)
        DRIPPING_CALDAV_URL = dripping
        where = prepare_database()
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from core.models import User
        from core.tokens import token_issue

        call_command("migrate", verbosity=0)
        budget = settings.CALENDAR_BOOKING_BUDGET_SECONDS
        limit = budget + MARGIN
        print(f"database: {where}; machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
        print(f"CALENDAR_BOOKING_BUDGET_SECONDS = {budget:g} s; allowed per booking: budget + {MARGIN:g} s = "
              f"{limit:g} s; {N} bookings per row, each after the calendars went stale")
        hr = User.objects.create_superuser(email="budget-hr@example.com", password="bench-password-1")
        token = token_issue(user=hr)
        server, base = serve()
        held = {"google": google_held, "caldav": caldav_held, "microsoft": microsoft_held}
        rows = [
            ("no provider", set(), False),
            ("Google, API call hangs", {"google"}, False),
            ("CalDAV hangs", {"caldav"}, False),
            ("CalDAV drips its answer", {"caldav-drip"}, False),
            ("Microsoft, Graph call hangs", {"microsoft"}, False),
            ("Microsoft, token refresh hangs", {"microsoft"}, True),
            ("all three hang", {"google", "caldav", "microsoft"}, False),
        ]
        first_day = datetime.now(dt_timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
        failed = []
        print(f"\n{'row':32} {'p50 s':>7} {'max s':>7}  {'booked':>6}  connections sent (google/caldav/microsoft)")
        try:
            for index, (label, providers, expired) in enumerate(rows):
                times, statuses, reached = scenario(base, token, label, providers, first_day + index * N * HOUR,
                                                    held, expired_token=expired)
                slow = max(times) > limit
                wrong = [s for s in statuses if s != 201]
                if slow or wrong:
                    failed.append(label)
                print(f"{label:32} {statistics.median(times):7.2f} {max(times):7.2f}  {statuses.count(201):>3}/{N:<2}  "
                      f"{reached['google']}/{reached['caldav']}/{reached['microsoft']}"
                      f"{'   OVER BUDGET' if slow else ''}{'   statuses ' + str(wrong) if wrong else ''}")
        finally:
            server.shutdown()
            drop_database()
    if failed:
        print(f"\nFAILED: a booking took longer than {limit:g} s or was not booked: {'; '.join(failed)}")
        return 1
    print(f"\nOK: every booking answered 201 within {limit:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
