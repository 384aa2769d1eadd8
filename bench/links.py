"""Benchmark: the scheduling-link calls a candidate's page makes. Prints figures; asserts nothing.

    .venv/bin/python bench/links.py                 # SQLite under var/ (a fresh file)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/links.py

Data: one year of working days for a candidate and seven interviewers (two windows a day, starting 0-30
minutes late at random) and 300 busy periods each (bench/loops.py's data). Figures: the public GET (the page's
only read) for a panel of three over 14 and 60 days, with a pool (1 or 2 of 4), and a book + cancel cycle.
"""

import os
import sys
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("THROTTLE_PUBLIC", "1000000/min")  # measure the calls, not the throttle
os.environ.setdefault("THROTTLE_PUBLIC_LINK", "1000000/min")

from bench.loops import seed  # noqa: E402
from bench.run import drop_database, prepare_database, timed  # noqa: E402  (also sets up the environment)


def main() -> None:
    where = prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from core.models import User
    from links.services import link_create

    call_command("migrate", verbosity=0)
    now = datetime.now(dt_timezone.utc)
    start = datetime.combine((now + timedelta(days=1)).date(), datetime.min.time(), tzinfo=dt_timezone.utc)
    users = seed(start)
    candidate, interviewers = users[0], users[1:]
    hr = User.objects.create_superuser(email="links-hr@example.com", password="bench-password-1")
    client = Client()
    print(f"database: {where}; machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print("data: 1 candidate + 8 interviewers, one year of working days each (2 windows a day), 300 busy periods each")

    def make(days, pool=(), pool_size=0, panel=3):
        _link, token = link_create(
            candidate=candidate, interviewers=interviewers[:panel], pool=list(pool), pool_size=pool_size,
            duration=60, step=30, start=start, end=start + timedelta(days=days),
            expires_at=start + timedelta(days=days), title="Bench", timezone_name="America/New_York", created_by=hr,
        )
        return f"/api/v1/public/links/{token}"

    print("\nGET /api/v1/public/links/<token>?tz=Asia/Kolkata (what the page loads; 30-minute grid, 60 minutes):")
    for label, url in [
        ("panel of 3, 14 days", make(14)),
        ("panel of 3, 60 days", make(60)),
        ("panel of 1 + 1 of a pool of 4, 14 days", make(14, interviewers[3:7], 1, panel=1)),
        ("panel of 1 + 2 of a pool of 4, 60 days", make(60, interviewers[3:7], 2, panel=1)),
    ]:
        response = client.get(url + "?tz=Asia/Kolkata")
        assert response.status_code == 200, response.content
        median, p95, response = timed(lambda: client.get(url + "?tz=Asia/Kolkata"), 20)
        print(f"  {label:40}: median {median:6.1f} ms, p95 {p95:6.1f} ms -> {len(response.json()['slots'])} slots")

    url = make(14)
    first = client.get(url).json()["slots"][0]["start"]

    def cycle():
        booked = client.post(url + "/book", {"start": first}, content_type="application/json")
        assert booked.status_code == 201, booked.content
        cancelled = client.post(url + "/cancel")
        assert cancelled.status_code == 200, cancelled.content

    median, p95, _ = timed(cycle, 20)
    print(f"\nbook + cancel through the link (locks, checks, invites queued, panel of 3): median {median:.1f} ms, "
          f"p95 {p95:.1f} ms per cycle")
    drop_database()


if __name__ == "__main__":
    main()
