"""The API under gunicorn (bin/serve, 4 processes) on PostgreSQL + Redis: GET /slots/ (60 days and a year) and
GET /me with 1 and 8 concurrent clients; requests per second, p50 and p95, and the slots/me ratios (the
targets: 60 days at most 2x a warm /me at p50, a year at most 10x). Prints figures; asserts nothing.
The ratios are measured twice: from the runs of each case, one after the other, and from one client asking
for /me and the case in turn ("in turn"), which a machine whose speed drifts between runs moves much less.

    .venv/bin/python bench/serve.py          # or: bin/bench serve
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379/0 \
    BENCH_SECONDS=5 BENCH_WEB_CONCURRENCY=4 .venv/bin/python bench/serve.py

A fresh database (dropped afterwards) with the data of bench/run.py: a year of availability and busy time for
a candidate and a panel of three. The slots queries ask for 60-minute slots on a 30-minute grid: "slots" and
"slots365" repeat one search (its answer is cached for its minute: slots/answers.py); "new60" and "new365" make a
new search each request (computed from everyone's cached free time).
Each client opens a connection per request (gunicorn's sync workers close it after each answer).
"""

import http.client
import itertools
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

from bench.run import START, drop_database, prepare_database, seed_people, year_of_data  # noqa: E402
from tests.ports import free_port  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
PROCESSES = os.environ.get("BENCH_WEB_CONCURRENCY", "4")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def gunicorn(processes: str, **env):
    """bin/serve on a free loopback port, ready (``/readyz`` answers 200); yields the port."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": processes,
           "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING", "THROTTLE_SLOTS": "", "DATABASE_CONN_MAX_AGE": "60", **env}
    server = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("bin/serve did not come up") from None
                time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def load(port: int, path, token: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """(requests per second, p50 ms, p95 ms, errors) for ``clients`` loops hitting ``path`` for ``seconds``
    (or, when ``path`` is an iterator, each request the next path it gives)."""
    paths = itertools.repeat(path) if isinstance(path, str) else path
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client():
        mine, bad = [], 0
        while not mine or time.perf_counter() < stop_at:  # at least one request each
            seconds, ok = get(port, next(paths), token)
            mine.append(seconds)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    rate, p50, p95 = run_clients([threading.Thread(target=client) for _ in range(clients)], latencies)
    return rate, p50, p95, errors[0]


def get(port: int, path: str, token: str) -> tuple[float, bool]:
    """One GET on a connection of its own: (seconds, whether it answered 200)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Token {token}"})
        response = conn.getresponse()
        response.read()
        ok = response.status == 200
    except OSError:
        ok = False
    finally:
        conn.close()
    return time.perf_counter() - started, ok


def paired(port: int, path, token: str, seconds: float) -> tuple[float, float]:
    """p50 ms of ``/me`` and of ``path`` (or each next path of an iterator), one client asking for them in turn:
    both meet the same machine, whose speed drifts by a third between runs of a few seconds on a shared one."""
    paths = itertools.repeat(path) if isinstance(path, str) else path
    me, case = [], []
    stop_at = time.perf_counter() + seconds
    while not case or time.perf_counter() < stop_at:
        me.append(get(port, "/api/v1/me", token)[0])
        case.append(get(port, next(paths), token)[0])
    return statistics.median(me) * 1000, statistics.median(case) * 1000


def cpu_seconds() -> Counter:
    """CPU time (user and system) that each program on this machine has used so far, by program name, from
    Linux's /proc (empty elsewhere). Taken around a run, it shows where the machine's time went: the web
    processes, PostgreSQL, Redis, the bench's own clients."""
    used: Counter = Counter()
    ticks = os.sysconf("SC_CLK_TCK")
    for process in Path("/proc").glob("[0-9]*"):
        try:
            stat = (process / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")].split(":")[0]  # "gunicorn: worker" is gunicorn
        fields = stat[stat.rindex(")") + 2:].split()
        used[name] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def cpu_per_request(used: Counter, requests: int) -> str:
    """"gunicorn 12.1 ms, postgres 2.4 ms, ...": the programs that used the most CPU, per request."""
    total = sum(used.values())
    top = ", ".join(f"{name} {seconds / requests * 1000:.1f} ms" for name, seconds in used.most_common(4))
    return (f"{top}; all {total / requests * 1000:.1f} ms, so {os.cpu_count()} cores allow at most "
            f"{requests * os.cpu_count() / total:.0f}/s")


def run_clients(threads: list[threading.Thread], latencies: list[float]) -> tuple[float, float, float]:
    """Run the client threads to the end: (requests per second, p50 ms, p95 ms) of the latencies they kept."""
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p95 * 1000


def main() -> None:
    where = prepare_database()  # sets DATABASE_URL to a fresh database
    os.environ["REDIS_URL"] = REDIS_URL
    import django

    django.setup()
    from django.core.management import call_command

    from core.models import User
    from core.tokens import token_issue

    call_command("migrate", verbosity=0)
    people = seed_people([year_of_data(seed) for seed in range(4)])
    hr = User.objects.create_superuser(email="bench-hr@example.com", password="bench-password-1")
    token = token_issue(user=hr)

    def slots(days, later=0):
        start = START + timedelta(seconds=later)
        end = start + timedelta(days=days)
        return (f"/api/v1/slots/?candidate={people[0].pk}&" + "&".join(f"interviewer={p.pk}" for p in people[1:])
                + f"&start={start:%Y-%m-%dT%H:%M:%SZ}&end={end:%Y-%m-%dT%H:%M:%SZ}&duration=60&step=30"
                + "&tz=America/New_York")

    # "new": every request a search not made before (its range a second later each time, in the same UTC day), so
    # no whole answer is cached and each is computed from everyone's cached free time
    later = itertools.count(1)
    paths = {"slots": slots(60), "slots365": slots(365), "me": "/api/v1/me",
             "new60": map(lambda k: slots(60, k), later), "new365": map(lambda k: slots(365, k), later)}
    listed = seed_listings()
    paths.update({"avail": "/api/v1/availability/", "busy": "/api/v1/busy/"})
    print(f"listings: HR's first page of {listed['avail']:,} windows and {listed['busy']:,} busy periods")
    try:
        _measure(paths, token, where)
    finally:
        drop_database()


def seed_listings() -> dict[str, int]:
    """50,000 more windows and 10,000 more busy periods over 50 people, for HR's listings (first page)."""
    from core.models import User
    from slots.models import AvailabilityWindow, BusyPeriod

    for index in range(50):
        user = User.objects.create_user(email=f"listed{index}@example.com", password="bench-password-1")
        days = [START + timedelta(days=d) for d in range(1000)]
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(user=user, start=d + timedelta(hours=9), end=d + timedelta(hours=17)) for d in days)
        BusyPeriod.objects.bulk_create(
            BusyPeriod(user=user, start=d + timedelta(hours=12), end=d + timedelta(hours=13), source="manual")
            for d in days[:200])
    return {"avail": AvailabilityWindow.objects.count(), "busy": BusyPeriod.objects.count()}


def _measure(paths: dict[str, str], token: str, where: str) -> None:
    with gunicorn(PROCESSES) as port:
        print(f"gunicorn: {PROCESSES} processes; database: {where}; cache and broker: Redis ({REDIS_URL}); "
              f"machine: {os.cpu_count()} cores; {SECONDS:g} s per case")
        first = {}
        for name, path in paths.items():  # the first answers of a fresh server (URLconf imported in the master)
            first[name] = load(port, path, token, 1, 0.001)[1]
        print("first request of a fresh server: " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in first.items()))
        results = {}
        for path in paths.values():  # warm every gunicorn process (imports, zone data, connections, caches)
            load(port, path, token, 8, 3.0)
        for clients in (1, 8):
            for name, path in paths.items():
                load(port, path, token, clients, 1.0)  # warm up (connections, token cache)
                rps, p50, p95, errors = load(port, path, token, clients, SECONDS)
                results[name, clients] = (rps, p50, p95)
                note = f", {errors} errors" if errors else ""
                print(f"{name:>8} c={clients}: {rps:7.1f} req/s  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms{note}")
        for name in ("avail", "busy"):
            print(f"{name} first page c=1: p50 {results[name, 1][1]:.1f} ms (target <= 50 ms)")
        for name, target in (("slots", 2), ("slots365", 10), ("new60", 2), ("new365", 10)):
            for clients in (1, 8):
                (s_rps, s_p50, s_p95), (m_rps, m_p50, m_p95) = results[name, clients], results["me", clients]
                print(f"{name}/me c={clients}: throughput {s_rps / m_rps:.2f}x, p50 {s_p50 / m_p50:.1f}x "
                      f"(target <= {target}x), p95 {s_p95 / m_p95:.1f}x")
        for name, target in (("slots", 2), ("slots365", 10), ("new60", 2), ("new365", 10)):
            me_p50, p50 = paired(port, paths[name], token, SECONDS)
            print(f"{name}/me in turn, 1 client: p50 {p50:.1f} ms / {me_p50:.1f} ms = {p50 / me_p50:.1f}x "
                  f"(target <= {target}x)")


if __name__ == "__main__":
    main()
