"""Scale-out proof: two bin/serve instances and two bin/worker processes on one PostgreSQL and one Redis.

- a logout on one server is honoured on the other at once;
- a 20-way booking race split across both servers books exactly once;
- the invites of 100 bookings are each sent exactly once by the two workers (to an SMTP sink on loopback);
- a periodic schedule fires once, not once per worker.
Runs in the PostgreSQL + Redis pass of .ci/run (about a minute)."""

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection  # noqa: F401 (in skipif)
from django.utils import timezone

from core.tokens import token_issue
from scheduling.models import DeliveryStatus, Interview, InviteDelivery
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.ops.procs import ROOT, database_url, production_env, stop_group, wait_until
from tests.ports import free_port
from tests.ops.smtp_sink import smtp_sink
from tests.ops.tasks import runs
from tests.scheduling.helpers import free, iso

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql' or not settings.REDIS_URL",
                       reason="needs PostgreSQL and Redis"),
]

BOOKINGS = 100
METRICS_TOKEN = "scale-out-metrics-token"


def call(base: str, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode() if body is not None else None, method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start(tmp_path, name: str, command: str, env: dict):
    import subprocess

    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen([str(ROOT / "bin" / command)], cwd=ROOT, env=production_env(tmp_path, **env),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def test_two_servers_and_two_workers_share_everything(tmp_path):
    hr = HRFactory()
    candidate = CandidateFactory()
    interviewer = InterviewerFactory()
    racer = CandidateFactory()
    for day in range(6):
        free(candidate, 0, 24, day=day)
        free(interviewer, 0, 24, day=day)
    free(racer, 0, 24, day=7)
    free(interviewer, 0, 24, day=7)
    from django_q.models import Schedule

    Schedule.objects.create(name="scale-out tick", func="tests.ops.tasks.mark", args=repr((str(tmp_path), "tick", 0)),
                            schedule_type=Schedule.MINUTES, minutes=10, repeats=-1, next_run=timezone.now())

    with smtp_sink() as (smtp_port, sink):
        env = {"DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, "DJANGO_SECRET_KEY": settings.SECRET_KEY,
               "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "WEB_CONCURRENCY": "2", "Q_WORKERS": "2", "LOG_LEVEL": "WARNING",
               "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
               "EMAIL_PORT": str(smtp_port), "HOST": "127.0.0.1", "METRICS_TOKEN": METRICS_TOKEN}
        ports = [free_port(), free_port()]
        processes = [start(tmp_path, f"serve{i}", "serve", {**env, "PORT": str(p)}) for i, p in enumerate(ports)]
        worker_env = {**env, "LOG_LEVEL": "INFO", "LOG_FORMAT": "text"}
        processes += [start(tmp_path, f"worker{i}", "worker", worker_env) for i in range(2)]
        workers_started = time.monotonic()
        try:
            servers = [f"http://127.0.0.1:{p}" for p in ports]

            def ready(base):
                try:
                    with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
                        return response.status == 200
                except OSError:
                    return False

            wait_until(lambda: all(ready(s) for s in servers), 60, interval=0.3, what="both servers")
            a, b = servers

            # 1. a logout on one server is honoured on the other at once
            token = token_issue(user=candidate)
            assert call(b, "GET", "/api/v1/me", token)[0] == 200
            assert call(a, "GET", "/api/v1/me", token)[0] == 200
            assert call(a, "POST", "/api/v1/auth/logout", token)[0] == 204
            assert call(b, "GET", "/api/v1/me", token)[0] == 401
            assert call(a, "GET", "/api/v1/me", token)[0] == 401

            # 2. a 20-way race for one slot, split across both servers: booked exactly once
            hr_token = token_issue(user=hr)
            body = {"candidate": racer.pk, "interviewers": [interviewer.pk], "start": iso(10, day=7)}
            barrier = threading.Barrier(20)
            statuses = [0] * 20

            def race(index):
                barrier.wait()
                statuses[index] = call(servers[index % 2], "POST", "/api/v1/interviews/", hr_token, body)[0]

            threads = [threading.Thread(target=race, args=(i,)) for i in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(statuses) == [201] + [409] * 19, statuses
            assert Interview.objects.filter(candidate=racer).count() == 1

            # 3. the invites of 100 bookings, sent by the two workers: each exactly once
            def book(index):
                day, hour = divmod(index, 20)
                status, answer = call(servers[index % 2], "POST", "/api/v1/interviews/", hr_token,
                                      {"candidate": candidate.pk, "interviewers": [interviewer.pk],
                                       "start": iso(2 + hour, day=day)})
                assert status == 201, answer

            booking_threads = [threading.Thread(target=lambda i=i: book(i)) for i in range(BOOKINGS)]
            for start_at in range(0, BOOKINGS, 10):
                batch = booking_threads[start_at:start_at + 10]
                for thread in batch:
                    thread.start()
                for thread in batch:
                    thread.join(timeout=60)
            assert Interview.objects.filter(candidate=candidate).count() == BOOKINGS
            expected = InviteDelivery.objects.count()
            assert expected == 2 * (BOOKINGS + 1)
            wait_until(lambda: InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count() == expected, 90,
                       interval=0.5, what="every invite to be sent")
            assert InviteDelivery.objects.exclude(attempts=1).count() == 0
            with sink.lock:
                messages = list(sink.messages)
            assert len(messages) == expected
            # both workers took part (each task is taken once, by whichever worker is free)
            sent_by = {p: (tmp_path / f"worker{p}.log").read_text().count("Processed 'scheduling.tasks.interview_changed'")
                       for p in range(2)}
            assert all(sent_by.values()), sent_by

            # the metrics of each server add up its gunicorn processes: every booking POST sent to it is counted
            for index, base in enumerate(servers):
                request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    text = response.read().decode()
                posted = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                             if line.startswith("interviews_http_requests_total{")
                             and 'view="interviews"' in line and 'method="POST"' in line)
                assert posted == 10 + BOOKINGS // 2, (index, posted)
                assert f"interviews_invite_deliveries{{state=\"sent\"}} {float(expected)}" in text

            # 4. the periodic schedule fired once although both workers' schedulers ran
            wait_until(lambda: time.monotonic() - workers_started > 40, 45, interval=1, what="two scheduler rounds")
            assert runs(tmp_path, "tick") == 1
            assert Schedule.objects.get(name="scale-out tick").next_run > timezone.now() + timedelta(minutes=5)
            for process in processes:
                assert process.poll() is None, "a process died"
        finally:
            for process in processes:
                stop_group(process)
