"""The task worker (django-q2's cluster) with a stop that works however SIGTERM arrives.

django-q2 leaves SIGTERM at its default (die at once) in the sentinel and every process it forks (workers,
pusher, monitor). When SIGTERM goes to the whole process group or cgroup (systemd's KillMode=control-group, a
container runtime, a terminal), they all die together: the task in hand is lost half-way, and the main process
then waits for ever on an Event whose waiter died (the measured 60 s hang). Here the sentinel and its children
ignore SIGTERM; only the main process acts on it, by asking the sentinel for django-q2's ordered stop (pusher
first, then each worker finishes the task in hand, then the monitor saves the results). That stop is bounded:
after ``WORKER_STOP_GRACE_SECONDS`` whatever is still running is killed; its task is then handed back by the
broker (the ORM broker re-delivers a task not acknowledged after ``retry`` seconds) and, for invites, by the
outbox (a delivery left ``sending`` is queued again; see scheduling.delivery).
"""

import logging
import os
import signal
import threading
import time

from django.conf import settings
from django_q import cluster as q_cluster

logger = logging.getLogger("interviews.worker")


def stop_grace_seconds() -> float:
    return float(getattr(settings, "WORKER_STOP_GRACE_SECONDS", 10))


class Sentinel(q_cluster.Sentinel):
    def __init__(self, stop_event, start_event, cluster_id, broker=None, timeout=None, start=True):
        super().__init__(stop_event, start_event, cluster_id, broker, timeout, start=False)
        # Inherited by every process forked from here: a group-wide SIGTERM leaves them working; the main
        # process's handler stops them in order (see the module's docstring).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if start:
            self.start()

    def stop(self):
        deadline = threading.Timer(stop_grace_seconds(), self._kill_the_rest)
        deadline.daemon = True
        deadline.start()
        try:
            super().stop()
        finally:
            deadline.cancel()

    def _kill_the_rest(self):
        processes = [p for p in [*self.pool, self.pusher, self.monitor] if p is not None and p.is_alive()]
        logger.error(
            "worker stop took longer than %ss: killing %d process(es); their tasks are handed back",
            stop_grace_seconds(),
            len(processes),
        )
        for process in processes:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(1)


def run() -> None:
    """Start the cluster and wait for it; returns once it has stopped."""
    q_cluster.Sentinel = Sentinel  # the cluster builds its sentinel by this module-level name
    cluster = q_cluster.Cluster()
    cluster.start()
    while cluster.sentinel is not None and cluster.sentinel.is_alive():
        time.sleep(0.2)
    logger.info("worker stopped")
