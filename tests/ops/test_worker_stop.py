"""bin/worker stops within a few seconds, finishing the task in hand, whether SIGTERM goes to its main process
or to its whole process group (systemd's control-group kill, a container, Ctrl-C), on Redis and on the database
broker; tasks not begun stay queued for the next worker; a stop that runs out of time kills and hands back.

Real worker processes against the test database (and Redis when REDIS_URL is set), every wait bounded."""

import os
import signal
import subprocess
import time

import pytest
from django.conf import settings
from django_q.brokers.orm import ORM
from django_q.tasks import async_task

from tests.ops.procs import ROOT, database_url, live_in_group, production_env, stop_group, wait_until
from tests.ops.tasks import runs

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "interviews"  # the cluster's queue name (Q_CLUSTER["name"])
# A stop is bounded by WORKER_STOP_GRACE_SECONDS (10) plus the processes' exit; on an idle machine it takes
# 1 to 3 seconds (the tasks in hand), on a loaded CI machine more.
STOP_WITHIN = 12
BROKERS = ["database", pytest.param("redis", marks=pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs REDIS_URL"))]


def broker_for(kind: str):
    if kind == "redis":
        from django_q.brokers.redis_broker import Redis

        return Redis(list_key=QUEUE)
    return ORM(list_key=QUEUE)


def start_worker(tmp_path, kind: str, log_name: str, **env) -> subprocess.Popen:
    extra = {"DATABASE_URL": database_url(), "DJANGO_SECRET_KEY": settings.SECRET_KEY, "Q_WORKERS": "2",
             "LOG_FORMAT": "text", **env}
    if kind == "redis":
        extra["REDIS_URL"] = settings.REDIS_URL
    log = open(tmp_path / log_name, "w")
    process = subprocess.Popen([str(ROOT / "bin" / "worker")], cwd=ROOT, env=production_env(tmp_path, **extra),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: "running." in (tmp_path / log_name).read_text() or process.poll() is not None, 60,
               what="the worker to start")
    assert process.poll() is None, (tmp_path / log_name).read_text()[-3000:]
    return process


def queue(broker, tmp_path, name: str, seconds: float) -> str:
    # save=True: stored although the cluster stores no successes (save_limit -1), to show the stop saves it
    return async_task("tests.ops.tasks.mark", str(tmp_path), name, seconds, broker=broker, sync=False,
                      task_name=name, save=True)


def stop(process: subprocess.Popen, how: str) -> float:
    started = time.monotonic()
    if how == "group":
        os.killpg(process.pid, signal.SIGTERM)  # what systemd's control-group kill or a container runtime does
    else:
        os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    return time.monotonic() - started


@pytest.mark.parametrize("how", ["main", "group"])
@pytest.mark.parametrize("kind", BROKERS)
def test_the_worker_stops_soon_finishing_the_task_in_hand(tmp_path, kind, how):
    broker = broker_for(kind)
    broker.purge_queue()
    process = start_worker(tmp_path, kind, "worker.log")
    try:
        queue(broker, tmp_path, "in-hand", 2.0)
        wait_until(lambda: runs(tmp_path, "in-hand", "started"), 30, what="the task to start")
        later = [queue(broker, tmp_path, f"later-{i}", 0.2) for i in range(6)]
        seconds = stop(process, how)
        log = (tmp_path / "worker.log").read_text()
        wait_until(lambda: not live_in_group(process.pid), 5, what="every process of the worker to end")
        assert process.returncode == 0, log[-3000:]
        assert seconds < STOP_WITHIN, f"stopping took {seconds:.1f}s"
        # the task in hand was finished, once, and its result saved
        assert runs(tmp_path, "in-hand") == 1
        from django_q.models import Task

        assert Task.objects.get(name="in-hand").success
        # nothing lost: each later task ran once or is still queued for the next worker
        done = sum(runs(tmp_path, f"later-{i}") for i in range(6))
        assert done + broker.queue_size() == len(later), (done, broker.queue_size())
        assert all(runs(tmp_path, f"later-{i}") <= 1 for i in range(6))
        assert not any(runs(tmp_path, f"later-{i}", "started") > runs(tmp_path, f"later-{i}") for i in range(6))

        # the next worker takes the rest; each runs exactly once
        process = start_worker(tmp_path, kind, "worker2.log")
        wait_until(lambda: all(runs(tmp_path, f"later-{i}") for i in range(6)), 30, what="the rest to run")
        assert stop(process, how) < STOP_WITHIN
        assert [runs(tmp_path, f"later-{i}") for i in range(6)] == [1] * 6
    finally:
        stop_group(process)
        broker.purge_queue()


@pytest.mark.parametrize("kind", BROKERS)
def test_a_stop_that_runs_out_of_time_kills_and_hands_the_task_back(tmp_path, kind):
    broker = broker_for(kind)
    broker.purge_queue()
    process = start_worker(tmp_path, kind, "worker.log", WORKER_STOP_GRACE_SECONDS="2")
    try:
        queue(broker, tmp_path, "long", 60)
        wait_until(lambda: runs(tmp_path, "long", "started"), 30, what="the task to start")
        seconds = stop(process, "group")
        assert seconds < 7, f"stopping took {seconds:.1f}s"  # the grace (2 s) and the exit
        assert runs(tmp_path, "long") == 0
        # no process of the worker is left behind
        wait_until(lambda: not live_in_group(process.pid), 5, what="every process of the worker to end")
        assert "killing" in (tmp_path / "worker.log").read_text()
        if kind == "database":
            # the database broker still holds the task: it is delivered again once its lock expires
            from django_q.models import OrmQ

            assert OrmQ.objects.filter(key=QUEUE).count() == 1
    finally:
        stop_group(process)
        broker.purge_queue()


@pytest.mark.parametrize("how", ["main", "group"])
def test_an_invite_being_sent_when_the_stop_comes_is_sent_once(tmp_path, how, hr_client, candidate, interviewer):
    from scheduling.models import DeliveryStatus, InviteDelivery
    from tests.ops.smtp_sink import smtp_sink
    from tests.scheduling.helpers import book, free

    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    # the booking queues its invites; they are sent by the real worker below, not inline
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(settings.Q_CLUSTER, "sync", False)
        patch.setattr("django_q.conf.Conf.SYNC", False)
        assert book(hr_client, candidate, [interviewer], 10).status_code == 201
    kind = "redis" if settings.REDIS_URL else "database"
    deliveries = list(InviteDelivery.objects.values_list("pk", flat=True))
    assert len(deliveries) == 2 and broker_for(kind).queue_size() >= 1  # one task carries the booking's invites
    with smtp_sink(accept_delay=1.0) as (port, sink):
        process = start_worker(tmp_path, kind, "worker.log", Q_WORKERS="1",
                               EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
        try:
            assert sink.receiving.wait(30), (tmp_path / "worker.log").read_text()[-3000:]
            seconds = stop(process, how)  # mid-send: the message is written, the server has not answered
            assert seconds < STOP_WITHIN
            # the one in hand was finished (and any already fetched): each sent invite went out once, none is
            # left half-way; the rest waits for the next worker
            statuses = sorted(InviteDelivery.objects.values_list("status", flat=True))
            sent = statuses.count(DeliveryStatus.SENT)
            assert sent >= 1 and len(sink.messages) == sent
            assert DeliveryStatus.SENDING not in statuses
            sink.accept_delay = 0
            process = start_worker(tmp_path, kind, "worker2.log", Q_WORKERS="1",
                                   EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                                   EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
            wait_until(lambda: InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2, 30,
                       what="the second invite")
            stop(process, how)
            assert len(sink.messages) == 2
            assert sorted(InviteDelivery.objects.values_list("attempts", flat=True)) == [1, 1]
        finally:
            stop_group(process)
            broker_for(kind).purge_queue()
