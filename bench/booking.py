"""Booking through HTTP under gunicorn (bin/serve) on PostgreSQL + Redis, then the task worker (bin/worker)
sending every invite to a local SMTP sink. Prints figures against the targets; asserts nothing. With 8 clients
it also prints the machine's CPU time per booking by program (web processes, PostgreSQL, Redis, the clients)
and the rate those allow on this machine's cores: where the machine is the limit, that is the ceiling.

    bin/bench booking
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_BOOKING_REDIS_URL=redis://127.0.0.1:6379/7 \
    BENCH_BOOKINGS=300 BENCH_WEB_CONCURRENCY=4 BENCH_Q_WORKERS=2 .venv/bin/python bench/booking.py

Data: every person (a candidate and an interviewer per panel) has a year of availability (a window a day,
08:00-20:00 UTC) and 300 busy periods at night, so the booking's reads run over a year of rows. Bookings
take successive free hours. The Redis database named is the bench's own: it is emptied first.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

from bench.run import START, drop_database, prepare_database  # noqa: E402
from bench.serve import cpu_per_request, cpu_seconds, gunicorn, run_clients  # noqa: E402

BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "300"))
CLIENTS = 8
PROCESSES = os.environ.get("BENCH_WEB_CONCURRENCY", "4")
Q_WORKERS = os.environ.get("BENCH_Q_WORKERS", "2")
REDIS_URL = os.environ.get("BENCH_BOOKING_REDIS_URL", "redis://127.0.0.1:6379/7")
DAYS = 365
HOURS = range(8, 20)


def seed_panel(index: int):
    """A candidate and an interviewer, each with a year of days free 08:00-20:00 UTC and busy nights."""
    from core.models import Role, User
    from slots.models import AvailabilityWindow, BusyPeriod

    people = [User.objects.create_user(email=f"bench-{role}-{index}@example.com", password="bench-password-1",
                                       role=role) for role in (Role.CANDIDATE, Role.INTERVIEWER)]
    for person in people:
        days = [START + timedelta(days=d) for d in range(DAYS)]
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(user=person, start=day + timedelta(hours=8), end=day + timedelta(hours=20))
            for day in days)
        BusyPeriod.objects.bulk_create(
            BusyPeriod(user=person, start=day + timedelta(hours=2), end=day + timedelta(hours=3), source="manual")
            for day in days[::DAYS // 300 or 1][:300])
    return people


def bodies(panel, count: int) -> list[dict]:
    candidate, interviewer = panel
    starts = [START + timedelta(days=1 + k // len(HOURS), hours=HOURS[k % len(HOURS)]) for k in range(count)]
    return [{"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": s.isoformat()} for s in starts]


def book_all(port: int, token: str, work: list[dict], latencies: list, statuses: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body in work:
        started = time.perf_counter()
        connection.request("POST", "/api/v1/interviews/", body=json.dumps(body),
                           headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        statuses.append(response.status)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.close()


def run(port: int, token: str, works: list[list[dict]]) -> tuple[float, float, float, list[int]]:
    """(bookings per second, p50 ms, p95 ms, statuses) for one client per list of bodies."""
    latencies: list[float] = []
    statuses: list[int] = []
    threads = [threading.Thread(target=book_all, args=(port, token, work, latencies, statuses)) for work in works]
    return (*run_clients(threads, latencies), statuses)


def drain_invites(expected: int) -> tuple[float, int, int]:
    """bin/worker against a local SMTP sink until every invite is sent: (invites per second, messages the
    sink got, SMTP connections it saw)."""
    from scheduling.models import DeliveryStatus, InviteDelivery
    from tests.ops.smtp_sink import smtp_sink

    with smtp_sink() as (smtp_port, sink):
        env = {**os.environ, "Q_WORKERS": Q_WORKERS, "LOG_LEVEL": "WARNING", "DJANGO_DEBUG": "0",
               "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
               "EMAIL_PORT": str(smtp_port)}
        worker = subprocess.Popen([str(ROOT / "bin" / "worker")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            began = None
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with sink.lock:
                    if began is None and sink.messages:
                        began = time.perf_counter()  # from the first message: the worker's start-up left out
                sent = InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count()
                if sent >= expected:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - began if began else float("inf")
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        return sent / elapsed, len(sink.messages), sink.connections


def main() -> None:
    where = prepare_database()
    os.environ["REDIS_URL"] = REDIS_URL
    import django
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    django.setup()
    from django.core.management import call_command

    from core.models import User
    from core.tokens import token_issue
    from scheduling.models import InviteDelivery

    try:
        call_command("migrate", verbosity=0)
        hr = User.objects.create_superuser(email="bench-hr@example.com", password="bench-password-1")
        token = token_issue(user=hr)
        panels = [seed_panel(index) for index in range(1 + CLIENTS + 1)]
        print(f"gunicorn: {PROCESSES} processes; database: {where}; cache and broker: Redis ({REDIS_URL}); "
              f"machine: {os.cpu_count()} cores; a year of data per person")
        with gunicorn(PROCESSES) as port:
            run(port, token, [bodies(panels[-1], 40)] * 1)  # warm every process (imports, connections, caches)
            rps, p50, p95, statuses = run(port, token, [bodies(panels[0], BOOKINGS)])
            print(f"booking, 1 client: {rps:6.1f} bookings/s  p50 {p50:5.1f} ms  p95 {p95:5.1f} ms "
                  f"({statuses.count(201)} of {len(statuses)} booked; target >= 100/s)")
            per_client = max(1, BOOKINGS // CLIENTS * 2)
            before = cpu_seconds()
            rps, p50, p95, statuses = run(port, token, [bodies(p, per_client) for p in panels[1:1 + CLIENTS]])
            used = cpu_seconds() - before
            print(f"booking, {CLIENTS} clients on separate panels: {rps:6.1f} bookings/s  p50 {p50:5.1f} ms  "
                  f"p95 {p95:5.1f} ms ({statuses.count(201)} of {len(statuses)} booked; target >= 200/s)")
            if used:
                print(f"  CPU per booking, {CLIENTS} clients: {cpu_per_request(used, len(statuses))}")
        expected = InviteDelivery.objects.count()
        rate, messages, connections = drain_invites(expected)
        print(f"invite worker ({Q_WORKERS} processes) to a local SMTP sink: {expected} invites, {rate:6.1f} invites/s "
              f"({messages} messages over {connections} SMTP connections; target >= 200/s)")
    finally:
        drop_database()


if __name__ == "__main__":
    main()
