"""Fixed-window counters in the shared cache, counted atomically (``add``, else ``incr``).

Used by the throttles and the failed-login limits. ``hit`` counts first and the caller decides after, so
40 simultaneous requests get counts 1..40 and no two see the same number. When the shared cache is down the
count goes on in a cache of this process: limits then hold per process, not everywhere, until Redis is back.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from core.cache_backends import CACHE_ERRORS

logger = logging.getLogger(__name__)

_local = LocMemCache("counters-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


@dataclass(frozen=True)
class Count:
    hits: int  # in this window, this hit included
    retry_after: int  # whole seconds until the window ends


def _window(window: int, now: float) -> tuple[int, int]:
    start = int(now // window) * window
    return start, max(1, math.ceil(start + window - now))


def _incr(store, key: str, ttl: int) -> int:
    for _ in range(3):
        if store.add(key, 1, ttl):
            return 1
        try:
            return store.incr(key)
        except ValueError:  # it expired between add and incr: add again
            continue
    return 1


def _read(store, key: str) -> int:
    return store.get(key) or 0


def _call(func, key: str, *args):
    try:
        return func(cache, key, *args)
    except CACHE_ERRORS as exc:
        logger.warning("Counting %s in this process: the shared cache failed (%s)", key.split(":")[0], exc)
        return func(_local, key, *args)


def hit(name: str, *, window: int, now: float | None = None) -> Count:
    """Count one hit on ``name`` in the current window of ``window`` seconds."""
    start, retry_after = _window(window, time.time() if now is None else now)
    return Count(_call(_incr, f"{name}:{start}", window + 1), retry_after)


def peek(name: str, *, window: int, now: float | None = None) -> Count:
    """The hits on ``name`` so far in the current window, without counting one."""
    start, retry_after = _window(window, time.time() if now is None else now)
    return Count(_call(_read, f"{name}:{start}"), retry_after)


def reset(name: str, *, window: int, now: float | None = None) -> None:
    start, _ = _window(window, time.time() if now is None else now)
    _call(lambda store, key: store.delete(key), f"{name}:{start}")


def first_time(name: str, *, window: int, now: float | None = None) -> bool:
    """True for the first call with ``name`` in the current window (an atomic ``add``)."""
    start, _ = _window(window, time.time() if now is None else now)
    return bool(_call(lambda store, key, ttl: store.add(key, 1, ttl), f"{name}:{start}", window + 1))
