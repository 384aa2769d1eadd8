"""Benchmark: the calendar feed (/feeds/<token>.ics) of 1,000 interviews. Prints figures; asserts nothing.

    .venv/bin/python bench/feed.py        # or: bin/bench feed (SQLite under var/, Django's database cache)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379/0 \
    .venv/bin/python bench/feed.py        # a fresh PostgreSQL database (dropped afterwards), cache on Redis

Data: the HR feed (a superuser's: everyone's interviews) holding 1,000 interviews over the next 250 days, each
with a candidate of 200 and a panel of two of 20 interviewers, in America/New_York. The feed is fetched in
process (django.test.Client, the whole middleware stack), so the figures are the server's time, no network.
Figures (median of several runs, in ms):
- cold: the cache emptied before each run, no If-None-Match;
- warm, no ETag: nothing changed since the last fetch, but the client sends no If-None-Match;
- after one change: one interview rescheduled (start +30 min, SEQUENCE + 1) just before each fetch;
- 304: the client sends the ETag it was given.
"""

import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if os.environ.get("BENCH_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]

from bench.run import drop_database, prepare_database  # noqa: E402  (also sets up the environment)

INTERVIEWS = int(os.environ.get("BENCH_FEED_INTERVIEWS", "1000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def seed(count: int):
    from core.models import Role, User
    from scheduling.models import Interview

    rng = random.Random(1)
    password = "bench-password-1"
    candidates = [User.objects.create_user(email=f"feed-c{n}@example.com", name=f"Candidate {n}")
                  for n in range(200)]
    panel = [User.objects.create_user(email=f"feed-i{n}@example.com", name=f"Interviewer {n}",
                                      role=Role.INTERVIEWER) for n in range(20)]
    day0 = datetime.now(dt_timezone.utc).replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=1)
    interviews = Interview.objects.bulk_create(
        Interview(candidate=rng.choice(candidates), title=f"Interview {n}",
                  start=day0 + timedelta(days=n % 250, minutes=45 * (n // 250)),
                  end=day0 + timedelta(days=n % 250, minutes=45 * (n // 250) + 45))
        for n in range(count)
    )
    through = Interview.interviewers.through
    through.objects.bulk_create(through(interview_id=i.pk, user_id=u.pk)
                                for i in interviews for u in rng.sample(panel, 2))
    return User.objects.create_superuser(email="feed-hr@example.com", password=password, name="Helen HR",
                                         timezone="America/New_York")


def median_ms(fn, runs: int = RUNS, before=None) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def main() -> None:
    where = prepare_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.test import Client

    from core.feed_tokens import feed_path
    from scheduling.models import Interview

    call_command("migrate", verbosity=0)
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"database: {where}; cache: {cache_backend}; machine: {os.cpu_count()} cores; "
          f"python {sys.version.split()[0]}")
    hr = seed(INTERVIEWS)
    path = feed_path(hr)
    client = Client()

    def fetch(**headers):
        response = client.get(path, **headers)
        assert response.status_code in (200, 304), response.status_code
        return response

    first = fetch()
    size = len(first.content)
    events = first.content.count(b"BEGIN:VEVENT")
    print(f"feed: {events} events, {size / 1024:.0f} KiB (HR feed, America/New_York)")

    cold, _ = median_ms(fetch, runs=3, before=cache.clear)
    fetch()  # leave the cache warm
    warm, _ = median_ms(fetch)
    ids = list(Interview.objects.order_by("start").values_list("pk", flat=True)[:RUNS])
    changes = iter(ids)

    def change_one():
        Interview.objects.filter(pk=next(changes)).update(
            start=F("start") + timedelta(minutes=30), end=F("end") + timedelta(minutes=30),
            sequence=F("sequence") + 1, updated=datetime.now(dt_timezone.utc))

    changed, _ = median_ms(fetch, before=change_one)
    etag = fetch()["ETag"]
    not_modified, response = median_ms(lambda: fetch(HTTP_IF_NONE_MATCH=etag))
    assert response.status_code == 304
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fetch()
    print(f"  cold (empty cache)      : {cold:8.1f} ms")
    print(f"  warm, no ETag           : {warm:8.1f} ms")
    print(f"  after one change        : {changed:8.1f} ms")
    print(f"  304 (If-None-Match)     : {not_modified:8.1f} ms")
    print(f"  queries for a warm fetch: {len(queries)}")
    drop_database()


if __name__ == "__main__":
    main()
