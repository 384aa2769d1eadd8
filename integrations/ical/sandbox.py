"""Parsing an untrusted calendar in a child process that cannot take more than its share. No Django here.

The child is a fresh ``python -I`` (``subprocess``, not ``multiprocessing``: django-q2 workers are daemonic and
may not have multiprocessing children; gunicorn workers are fine with either). Three bounds, each real:

- memory: the child limits its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) as the very first thing
  it does, before it reads a byte of the calendar. (Setting them in the parent's ``preexec_fn`` would do the same
  but is not safe in a threaded parent, such as a threaded server; the child sets them on itself instead.)
  A calendar that needs more memory fails inside the child with MemoryError; the server never grows.
- time, inside: an interval timer (SIGALRM) interrupts one series' expansion when it takes longer than its share
  (the series is skipped with a reason) and the whole parse at its deadline (a clean "took too long").
- time, outside: the parent waits at most ``max_seconds + 0.3`` and then kills the child, so nothing in the
  child, not even a long call inside C, can hold a request past its limit.

The protocol: one JSON line of parameters then the calendar's bytes on stdin; one JSON object on stdout.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import time as clock
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from integrations.ical.parse import (
    CalendarError,
    Guard,
    Limits,
    OutOfTime,
    Result,
    SeriesTooSlow,
    Skipped,
    parse_calendar,
)
from slots.intervals import Interval

logger = logging.getLogger(__name__)
ROOT = str(Path(__file__).resolve().parents[2])
KILL_GRACE_SECONDS = 0.3
TOO_LONG = "The calendar took too long to read; it may repeat too often."
TOO_BIG = "The calendar needs too much memory to read; it may repeat too often."


def parse_in_child(content: bytes, *, kind: str, tz: str, window: Interval, limits: Limits,
                   max_memory_mb: int) -> Result:
    """``parse_calendar`` in a bounded child process. Raises CalendarError."""
    if len(content) > limits.max_bytes:
        raise CalendarError(f"The calendar is larger than {limits.max_bytes // 1024} KiB.")
    # CLOCK_MONOTONIC is one clock for every process on the machine: the child's deadline is the parent's,
    # so the time the child takes to start counts too
    deadline = clock.monotonic() + limits.max_seconds
    header = json.dumps({
        "deadline": deadline - 0.2, "kind": kind, "tz": tz, "start": window.start.isoformat(), "end": window.end.isoformat(),
        "max_bytes": limits.max_bytes, "max_periods": limits.max_periods, "max_seconds": limits.max_seconds,
        "series_seconds": limits.series_seconds, "max_memory_mb": max_memory_mb,
    }).encode()
    bootstrap = f"import sys; sys.path.insert(0, {ROOT!r}); from integrations.ical.sandbox import child_main; child_main()"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
           "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-I", "-c", bootstrap],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=ROOT, env=env, close_fds=True, start_new_session=True,
    )
    try:
        out, err = process.communicate(header + b"\n" + content,
                                       timeout=max(0.1, deadline + KILL_GRACE_SECONDS - clock.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise CalendarError(TOO_LONG) from None
    finally:
        if process.poll() is None:  # an exception of ours: never leave the child behind
            process.kill()
            process.wait()
    try:
        answer = json.loads(out)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        logger.warning("calendar parser child ended with %s: %s", process.returncode, err[-500:])
        # killed by its own CPU limit (SIGXCPU/SIGKILL) or out of memory before it could answer
        if process.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise CalendarError(TOO_LONG)
        raise CalendarError(TOO_BIG)
    if "error" in answer:
        error = CalendarError(answer["error"][0], answer["error"][1:])
        error.peak_mb = answer.get("peak_mb")
        raise error
    return Result(
        peak_mb=answer.get("peak_mb"),
        periods=[Interval(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in answer["periods"]],
        skipped=[Skipped(**s) for s in answer["skipped"]],
        warnings=answer["warnings"],
    )


class _AlarmGuard(Guard):
    """SIGALRM at the earlier of the series' budget and the whole parse's deadline."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        signal.signal(signal.SIGALRM, self._ring)
        self._arm(self.deadline - clock.monotonic())

    def _arm(self, seconds: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def _ring(self, signum, frame):
        if clock.monotonic() >= self.deadline - 0.01:
            raise OutOfTime()
        raise SeriesTooSlow()

    @contextmanager
    def series(self, seconds: float):
        self._arm(min(seconds, self.deadline - clock.monotonic()))
        try:
            yield
        finally:
            self._arm(self.deadline - clock.monotonic())


def _limit_self(max_memory_mb: int, max_seconds: float) -> None:
    memory = max_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(max_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0)) if hasattr(resource, "RLIMIT_NPROC") else None
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def child_main() -> None:
    header = json.loads(sys.stdin.buffer.readline())
    _limit_self(int(header["max_memory_mb"]), float(header["max_seconds"]))
    content = sys.stdin.buffer.read(int(header["max_bytes"]) + 1)
    limits = Limits(max_bytes=header["max_bytes"], max_periods=header["max_periods"],
                    max_seconds=header["max_seconds"], series_seconds=header["series_seconds"])
    window = Interval(datetime.fromisoformat(header["start"]), datetime.fromisoformat(header["end"]))
    try:
        try:
            guard = _AlarmGuard(float(header["deadline"]))
            remaining = Limits(max_bytes=limits.max_bytes, max_periods=limits.max_periods,
                               max_seconds=max(0.0, guard.deadline - clock.monotonic()),
                               series_seconds=limits.series_seconds)
            result = parse_calendar(content, kind=header["kind"], tz=ZoneInfo(header["tz"]), window=window,
                                    limits=remaining, guard=guard)
        finally:  # no alarm after this point (one that rings in here is caught below)
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.setitimer(signal.ITIMER_REAL, 0)
        answer = {
            "periods": [[p.start.isoformat(), p.end.isoformat()] for p in result.periods],
            "skipped": [s.as_dict() for s in result.skipped],
            "warnings": result.warnings,
        }
    except CalendarError as exc:
        answer = {"error": exc.messages}
    except (OutOfTime, SeriesTooSlow):
        answer = {"error": [TOO_LONG]}
    except MemoryError:
        answer = {"error": [TOO_BIG]}
    answer["peak_mb"] = _peak_mb()
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def _peak_mb() -> float | None:
    """This process's peak resident memory (VmHWM: its own, counted from its exec)."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return round(int(line.split()[1]) / 1024, 1)
    except (OSError, StopIteration, ValueError):
        return None
