"""What a request costs while Redis is healthy, hung (SIGSTOP) or stopped, and after it is back.

    .venv/bin/python bench/redis_outage.py          # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_outage .venv/bin/python bench/redis_outage.py

Starts its own redis-server on a free loopback port (never the machine's shared one). For each phase it runs
``/me`` (token check), login and register N times in this process (Django's test client, the production
settings with REDIS_URL set) and prints status counts and latency p50 / p95 / max. Asserts nothing.
"""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ports import free_port  # noqa: E402

N = int(os.environ.get("BENCH_N", "20"))


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    port = free_port()
    redis_cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(workdir)]
    server = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver", "REDIS_URL": f"redis://127.0.0.1:{port}/0", "LOG_LEVEL": "CRITICAL",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"),
    })
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from core.cache_backends import breaker_reset
    from core.models import User

    call_command("migrate", verbosity=0)
    User.objects.filter(email__startswith="bench-").delete()
    password = "a sturdy bench passphrase"
    User.objects.create_user("bench-user@example.com", password, role="candidate")
    client = Client()
    token = client.post("/api/v1/auth/token", {"email": "bench-user@example.com", "password": password},
                        content_type="application/json").json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    counter = iter(range(10**9))

    calls = {
        "GET /me": lambda: client.get("/api/v1/me", **auth),
        "POST /auth/token": lambda: client.post(
            "/api/v1/auth/token", {"email": "bench-user@example.com", "password": password},
            content_type="application/json"),
        "POST /auth/register": lambda: client.post(
            "/api/v1/auth/register", {"email": f"bench-{next(counter)}-{time.time_ns()}@example.com",
                                      "password": password, "role": "candidate"}, content_type="application/json"),
    }

    def phase(name: str) -> None:
        print(f"\n{name}")
        for label, call in calls.items():
            times, statuses = [], {}
            for _ in range(N):
                started = time.perf_counter()
                status = call().status_code
                times.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"  {label:<20} {dict(sorted(statuses.items()))!s:<12} p50 {statistics.median(times):7.1f} ms"
                  f"  p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms")

    try:
        phase("Redis healthy")
        server.send_signal(signal.SIGSTOP)
        phase("Redis paused (SIGSTOP: connections hang)")
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(10)
        breaker_reset()
        phase("Redis stopped (connections refused)")
        server = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        time.sleep(2.1)  # REDIS_RETRY_SECONDS: the breaker lets one call through again
        phase("Redis back (empty)")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGCONT)
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
