"""Benchmark: the loop search. Prints figures; asserts nothing.

    .venv/bin/python bench/loops.py                 # SQLite under var/ (a fresh file)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/loops.py

Data: one year of working days for a candidate and eight interviewers (09:00-12:00 and 13:00-17:30 in
America/New_York, each window starting 0-30 minutes late at random, weekends off) and 300 busy periods
each. Figures: the endpoint (HTTP through Django, database reads included) and the pure search, for the
issue's case (4 sessions, panels of 2, a 14-day range), then how the time grows with the number of sessions
(any order, 2 to 8), with the range, and in the worst cases (no itinerary exists, so every day is searched).
"""

import os
import random
import sys
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import drop_database, prepare_database, timed  # noqa: E402  (also sets up the environment)

ZONE = ZoneInfo("America/New_York")
PEOPLE = 9  # a candidate and eight interviewers


def year_of_workdays(seed: int, start: datetime):
    rng = random.Random(seed)
    windows, busy = [], []
    for day in range(366):
        date = (start + timedelta(days=day)).date()
        if date.weekday() >= 5:
            continue
        for (h1, m1), (h2, m2) in (((9, 0), (12, 0)), ((13, 0), (17, 30))):
            late = timedelta(minutes=rng.choice([0, 0, 15, 30]))
            a = datetime.combine(date, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=h1, minutes=m1) + late
            b = datetime.combine(date, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=h2, minutes=m2)
            windows.append((a.astimezone(dt_timezone.utc), b.astimezone(dt_timezone.utc)))
    for _ in range(300):
        s = start + timedelta(days=rng.randrange(366), hours=rng.randrange(13, 22), minutes=rng.choice([0, 30]))
        busy.append((s, s + timedelta(minutes=rng.choice([30, 60, 90]))))
    return windows, busy


def seed(start):
    from core.models import Role, User
    from slots.models import AvailabilityWindow, BusyPeriod

    users = []
    for index in range(PEOPLE):
        role = Role.CANDIDATE if index == 0 else Role.INTERVIEWER
        user = User.objects.create_user(email=f"loop{index}@example.com", password="bench-password-1", role=role)
        windows, busy = year_of_workdays(index, start)
        AvailabilityWindow.objects.bulk_create(AvailabilityWindow(user=user, start=a, end=b) for a, b in windows)
        BusyPeriod.objects.bulk_create(BusyPeriod(user=user, start=a, end=b, source="manual") for a, b in busy)
        users.append(user)
    return users


def sessions_for(count, interviewers, duration=45):
    """``count`` sessions, each with a panel of two (pairs taken round the eight interviewers)."""
    return [{"title": f"Session {k + 1}", "interviewers": [interviewers[(2 * k) % 8].pk, interviewers[(2 * k + 1) % 8].pk],
             "duration": duration} for k in range(count)]


def main() -> None:
    where = prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from core.models import User
    from core.tokens import token_issue
    from slots.intervals import Interval
    from slots.loops import Session, search_loops
    from slots.selectors import free_time

    call_command("migrate", verbosity=0)
    now = datetime.now(dt_timezone.utc)
    start = datetime.combine((now + timedelta(days=1)).date(), datetime.min.time(), tzinfo=dt_timezone.utc)
    users = seed(start)
    candidate, interviewers = users[0], users[1:]
    hr = User.objects.create_superuser(email="loop-hr@example.com", password="bench-password-1")
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=hr)}")
    print(f"database: {where}; machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print("data: 1 candidate + 8 interviewers, one year of working days each (2 windows a day) and 300 busy periods")

    def endpoint(count, days, order="any", max_gap=15, runs=10, duration=45, limit=20):
        body = {"candidate": candidate.pk, "sessions": sessions_for(count, interviewers, duration), "order": order,
                "max_gap": max_gap, "start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat(),
                "tz": "America/New_York", "step": 15, "limit": limit}
        response = client.post("/api/v1/loops/search", body, content_type="application/json")
        assert response.status_code == 200, response.content
        median, p95, response = timed(
            lambda: client.post("/api/v1/loops/search", body, content_type="application/json"), runs)
        return median, p95, response.json()

    def pure(count, days, any_order=True, max_gap=15, duration=45, limit=20, runs=5, candidate_free=None):
        end = start + timedelta(days=days)
        ids = [candidate.pk, *(u.pk for u in interviewers)]
        free = free_time(ids, start, end)
        if candidate_free is not None:
            free[candidate.pk] = candidate_free(free[candidate.pk])
        sessions = [Session(duration=timedelta(minutes=s["duration"]), interviewers=tuple(s["interviewers"]))
                    for s in sessions_for(count, interviewers, duration)]
        median, p95, answer = timed(lambda: search_loops(
            sessions, candidate=free[candidate.pk], free=free, any_order=any_order,
            max_gap=timedelta(minutes=max_gap), bounds=Interval(start, end), step=timedelta(minutes=15), tz=ZONE,
            limit=limit), runs)
        return median, p95, answer

    print("\nthe issue's case: 4 sessions of 45 min, panels of 2, 14-day range, gaps up to 15 min, limit 20 "
          "(target < 300 ms)")
    for order in ("fixed", "any"):
        median, p95, body = endpoint(4, 14, order=order)
        print(f"  endpoint, order={order:5}: median {median:6.1f} ms, p95 {p95:6.1f} ms "
              f"-> {len(body['options'])} options, first {body['options'][0]['start'] if body['options'] else '-'}")

    print("\ngrowth with the number of sessions (any order, 14 days, 45-min sessions, gaps up to 15 min):")
    for count in range(2, 9):
        median, p95, answer = pure(count, 14)
        e_median, _, body = endpoint(count, 14, runs=3)
        print(f"  {count} sessions: pure median {median:7.1f} ms ({answer.states:7d} states, "
              f"{len(answer.itineraries):2d} options{'' if answer.complete else ', budget hit'}); "
              f"endpoint median {e_median:7.1f} ms")

    def mornings(schedule):  # the candidate is free only in the mornings (09:00-12:00): 5+ sessions never fit
        return [i for i in schedule if i.start.astimezone(ZONE).hour < 12]

    print("\ngrowth with the range, when no itinerary exists (the candidate free only in the mornings, so every")
    print("day of the range is searched in full; gaps up to 60 min):")
    for count in (5, 8):
        for days in (7, 14, 31):
            median, p95, answer = pure(count, days, max_gap=60, runs=3, candidate_free=mornings)
            print(f"  {count} sessions any order, {days:2d} days: pure median {median:7.1f} ms "
                  f"({answer.states:6d} states, {len(answer.itineraries)} options"
                  f"{'' if answer.complete else ', budget hit: answer marked incomplete'})")
    print("\nadversarial (synthetic, pure): everyone free 08:00-20:00 every day; 6 sessions of 45 min and 2 of 50,")
    print("gaps up to 5 min on the 15-min grid, so a 50-min session can only come last and no loop fits, while")
    print("every session fits everywhere: the search has to rule out the orders (2^n states, not n!)")
    for days in (1, 7, 14, 31):
        bounds = Interval(start, start + timedelta(days=days))
        everyday = [Interval(datetime.combine((start + timedelta(days=d)).date(), datetime.min.time(), tzinfo=ZONE)
                             + timedelta(hours=8),
                             datetime.combine((start + timedelta(days=d)).date(), datetime.min.time(), tzinfo=ZONE)
                             + timedelta(hours=20)) for d in range(days + 1)]
        free = {pk: everyday for pk in range(1, 10)}
        sessions = [Session(duration=timedelta(minutes=45 if k < 6 else 50), interviewers=(1 + k % 8,))
                    for k in range(8)]
        median, p95, answer = timed(lambda: search_loops(
            sessions, candidate=everyday, free=free, any_order=True, max_gap=timedelta(minutes=5), bounds=bounds,
            step=timedelta(minutes=15), tz=ZONE, limit=20), 1)
        print(f"  8 sessions, {days:2d} days: {median:7.1f} ms ({answer.states:6d} states, "
              f"{len(answer.itineraries)} options{'' if answer.complete else ', budget hit: answer marked incomplete'})")

    print("\nworst case through the endpoint (search, then the explanation's searches):")
    median, p95, body = endpoint(8, 31, max_gap=0, duration=50, runs=3)
    print(f"  8 sessions of 50 min, no gaps (ends off the 15-min grid), 31 days: "
          f"median {median:.1f} ms -> {len(body['options'])} options, "
          f"explanation {body.get('explanation', {}).get('code')}")
    median, p95, body = endpoint(8, 31, max_gap=60, runs=3)
    print(f"  8 sessions of 45 min any order, gaps up to 60 min, 31 days: median {median:.1f} ms, p95 {p95:.1f} ms "
          f"-> {len(body['options'])} options, explanation {body.get('explanation', {}).get('code')}")
    drop_database()


if __name__ == "__main__":
    main()
