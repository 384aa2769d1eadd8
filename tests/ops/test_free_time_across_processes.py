"""The free-time cache across processes without Redis (the database cache: production without REDIS_URL, and
bin/run, whose worker is a process of its own): a write in one process renews what another has cached."""

import json
import subprocess
import sys

from tests.ops.procs import ROOT, production_env

_SETUP = """
import django, json; django.setup()
from datetime import timedelta
from django.utils import timezone
from core.models import User
from slots.models import AvailabilityWindow
day = (timezone.now() + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
candidate = User.objects.create_user(email="c@example.com", password="x-long-password-1", role="candidate")
interviewer = User.objects.create_user(email="i@example.com", password="x-long-password-1", role="interviewer")
for person in (candidate, interviewer):
    AvailabilityWindow.objects.create(user=person, start=day + timedelta(hours=9), end=day + timedelta(hours=12))
print(json.dumps([candidate.pk, interviewer.pk, day.isoformat()]))
"""

# A long-lived process (the web server) that searches whenever it reads a line, keeping its cache in between.
_SEARCHER = """
import django, json, sys; django.setup()
from datetime import datetime, timedelta, timezone as tz
from core.models import User
from slots.matcher import match
candidate_id, interviewer_id, day = json.loads(sys.argv[1])
day = datetime.fromisoformat(day)
for _ in sys.stdin:
    answer = match(candidate=User.objects.get(pk=candidate_id), interviewers=[User.objects.get(pk=interviewer_id)],
                   start=day, end=day + timedelta(days=1), duration=timedelta(hours=1), step=timedelta(hours=1),
                   tz=tz.utc)
    print(json.dumps([slot.start.hour for slot, _ in answer.slots]), flush=True)
"""

_WRITE = """
import django, json, sys; django.setup()
from datetime import datetime, timedelta
from slots.models import BusyPeriod
candidate_id, interviewer_id, day = json.loads(sys.argv[1])
day = datetime.fromisoformat(day)
BusyPeriod.objects.create(user_id=interviewer_id, start=day + timedelta(hours=9), end=day + timedelta(hours=10),
                          source="google")
"""


def _env(tmp_path) -> dict:
    return production_env(tmp_path, DJANGO_DEBUG="1", LOG_LEVEL="ERROR")


def _python(tmp_path, code: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def test_a_write_in_another_process_renews_the_cached_free_time(tmp_path):
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT,
                             env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    scene = _python(tmp_path, _SETUP)
    web = subprocess.Popen([sys.executable, "-c", _SEARCHER, scene], cwd=ROOT, env=_env(tmp_path), text=True,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        def search() -> list[int]:
            web.stdin.write("search\n")
            web.stdin.flush()
            return json.loads(web.stdout.readline())

        assert search() == [9, 10, 11]  # now cached
        assert search() == [9, 10, 11]  # from the cache
        _python(tmp_path, _WRITE, scene)  # the worker, another process: a calendar sync, say
        assert search() == [10, 11]
    finally:
        web.stdin.close()
        web.wait(timeout=30)
