"""Benchmarks: the matcher, the slots endpoint, and booking throughput. Prints figures; asserts nothing.

    bin/bench                      # SQLite under var/ (a fresh file)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bin/bench   # a fresh PG database

Data: one year of availability for a candidate and a panel of three interviewers (three windows a day each,
at slightly different times), and 300 busy periods each.
"""

import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")  # persistent connections, as in production
os.environ.setdefault("LOG_LEVEL", "ERROR")

ZONE = ZoneInfo("America/New_York")
# from tomorrow (midnight UTC): the data is always ahead, as bookings must be
START = (datetime.now(dt_timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
DAYS = 365


def prepare_database() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        path = ROOT / "var" / "bench.sqlite3"
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return "SQLite (var/bench.sqlite3)"
    import psycopg

    name = f"bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return f"PostgreSQL ({name}, dropped afterwards)"


def drop_database() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS bench_{os.getpid()} WITH (FORCE)")


def year_of_data(seed: int):
    """Three windows a day for a year, and 300 busy periods of 30-90 minutes."""
    rng = random.Random(seed)
    windows, busy = [], []
    for day in range(DAYS):
        base = datetime.combine((START + timedelta(days=day)).date(), datetime.min.time(), tzinfo=ZONE)
        for hour in (9, 13, 16):
            start = base + timedelta(hours=hour, minutes=rng.choice([0, 15, 30]))
            windows.append((start.astimezone(dt_timezone.utc), (start + timedelta(hours=2)).astimezone(dt_timezone.utc)))
    for _ in range(300):
        start = START + timedelta(days=rng.randrange(DAYS), hours=rng.randrange(8, 18), minutes=rng.choice([0, 30]))
        busy.append((start, start + timedelta(minutes=rng.choice([30, 60, 90]))))
    return windows, busy


def timed(fn, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1 if len(times) > 1 else 0], result


def bench_matcher(data) -> None:
    from slots.intervals import Interval, free_slots, merge, subtract

    def run():
        schedules = [subtract(merge(Interval(*w) for w in windows), merge(Interval(*b) for b in busy))
                     for windows, busy in data]
        return free_slots(schedules, bounds=Interval(START, START + timedelta(days=DAYS)),
                          duration=timedelta(minutes=60), step=timedelta(minutes=30), tz=ZONE)

    median, p95, found = timed(run, 20)
    rows = sum(len(w) + len(b) for w, b in data)
    print(f"matcher (pure): {rows} windows+busy periods, 4 people, 1 year -> {len(found)} slots: "
          f"median {median:.1f} ms, p95 {p95:.1f} ms")


def seed_people(data):
    from core.models import Role, User
    from slots.models import AvailabilityWindow, BusyPeriod

    people = []
    for index, (windows, busy) in enumerate(data):
        role = Role.CANDIDATE if index == 0 else Role.INTERVIEWER
        user = User.objects.create_user(email=f"bench{index}@example.com", password="bench-password-1", role=role)
        AvailabilityWindow.objects.bulk_create(AvailabilityWindow(user=user, start=s, end=e) for s, e in windows)
        BusyPeriod.objects.bulk_create(BusyPeriod(user=user, start=s, end=e, source="manual") for s, e in busy)
        people.append(user)
    return people


def bench_slots_endpoint(people, token) -> None:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    query = (f"/api/v1/slots/?candidate={people[0].pk}&" + "&".join(f"interviewer={p.pk}" for p in people[1:])
             + f"&start={START:%Y-%m-%dT%H:%M:%SZ}&end={START + timedelta(days=DAYS):%Y-%m-%dT%H:%M:%SZ}"
             + "&duration=60&step=30&tz=America/New_York")
    client.get(query)  # warm the token cache
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(query)
    median, p95, response = timed(lambda: client.get(query), 10)
    slots = len(response.json()["slots"])
    print(f"slots endpoint: 1 year, panel of 3 -> {slots} slots, {len(queries)} queries: "
          f"median {median:.1f} ms, p95 {p95:.1f} ms")


def serve():
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    ThreadedWSGIServer.request_queue_size = 256
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def bench_booking(token, base) -> None:
    from core.models import Role, User
    from slots.models import AvailabilityWindow

    def setup(count):
        interviewer = User.objects.create_user(email=f"i{random.random()}@example.com", password="x-bench-pass-1",
                                               role=Role.INTERVIEWER)
        candidates = [User.objects.create_user(email=f"c{random.random()}@example.com", password="x-bench-pass-1")
                      for _ in range(count)]
        day = datetime.now(dt_timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
        rows = [AvailabilityWindow(user=u, start=day, end=day + timedelta(days=30)) for u in [interviewer, *candidates]]
        AvailabilityWindow.objects.bulk_create(rows)
        return interviewer, candidates, day

    count = 120
    interviewer, candidates, day = setup(count)
    bodies = [{"candidate": c.pk, "interviewers": [interviewer.pk], "start": (day + timedelta(hours=k)).isoformat()}
              for k, c in enumerate(candidates)]
    t0 = time.perf_counter()
    statuses = [post(f"{base}/api/v1/interviews/", token, b) for b in bodies]
    elapsed = time.perf_counter() - t0
    print(f"booking, sequential: {count} bookings in {elapsed:.2f} s -> {count / elapsed:.1f} bookings/s "
          f"({statuses.count(201)} booked)")

    for clients in (4, 8):
        interviewer, candidates, day = setup(count)
        bodies = [{"candidate": c.pk, "interviewers": [interviewer.pk], "start": (day + timedelta(hours=k)).isoformat()}
                  for k, c in enumerate(candidates)]
        elapsed, results = concurrently(f"{base}/api/v1/interviews/", token, bodies, clients)
        print(f"booking, {clients} concurrent clients, one shared interviewer, no overlaps: {count} in {elapsed:.2f} s "
              f"-> {count / elapsed:.1f} bookings/s ({results.count(201)} booked)")

    interviewer, candidates, day = setup(count)
    bodies = [{"candidate": c.pk, "interviewers": [interviewer.pk], "start": (day + timedelta(minutes=5 * (k % 12))).isoformat()}
              for k, c in enumerate(candidates)]
    elapsed, results = concurrently(f"{base}/api/v1/interviews/", token, bodies, 8)
    print(f"booking, 8 clients contending for one hour: {count} answers in {elapsed:.2f} s -> {count / elapsed:.1f}/s "
          f"({results.count(201)} booked, {results.count(409)} refused with 409)")


def concurrently(url, token, bodies, clients) -> tuple[float, list[int]]:
    """POST every body, spread over ``clients`` threads; answers the time taken and the statuses."""
    results: list[int] = []
    chunks = [bodies[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=lambda chunk=chunk: results.extend(post(url, token, b) for b in chunk))
               for chunk in chunks]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0, results


def main() -> None:
    where = prepare_database()
    import django

    django.setup()
    from django.core.management import call_command

    from core.models import User
    from core.tokens import token_issue

    call_command("migrate", verbosity=0)
    print(f"database: {where}; machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    data = [year_of_data(seed) for seed in range(4)]
    bench_matcher(data)
    people = seed_people(data)
    hr = User.objects.create_superuser(email="bench-hr@example.com", password="bench-password-1")
    token = token_issue(user=hr)
    bench_slots_endpoint(people, token)
    server, base = serve()
    try:
        bench_booking(token, base)
    finally:
        server.shutdown()
        drop_database()


if __name__ == "__main__":
    main()
