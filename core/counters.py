"""Fixed-window counters in the shared cache, counted atomically.

Used by the throttles and the failed-login limits. ``hit`` counts first and the caller decides after, so
40 simultaneous requests get counts 1..40 and no two see the same number.

- Redis: one atomic round trip (``ResilientRedisCache.count``). The per-process memory cache: ``add``, else
  ``incr``, each atomic.
- Django's database cache (no ``REDIS_URL`` in production): its ``incr`` is a read then a write, so the
  counters live in their own table instead (``RateCounter``: ``UPDATE ... SET hits = hits + 1``).
- When the shared cache is down the count goes on in a cache of this process: the limits then hold per
  process, not everywhere, until Redis is back.
"""

import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.cache_backends import CACHE_ERRORS, ResilientRedisCache
from core.models import RateCounter

logger = logging.getLogger(__name__)

_local = LocMemCache("counters-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


@dataclass(frozen=True)
class Count:
    hits: int  # in this window, this hit included
    retry_after: int  # whole seconds until the window ends


def _window(window: int, now: float) -> tuple[int, int]:
    start = int(now // window) * window
    return start, max(1, math.ceil(start + window - now))


class _CacheStore:
    def __init__(self, store):
        self.store = store

    def incr(self, key: str, ttl: int) -> int:
        for _ in range(3):
            if self.store.add(key, 1, ttl):
                return 1
            try:
                return self.store.incr(key)
            except ValueError:  # it expired between add and incr: add again
                continue
        return 1

    def read(self, key: str) -> int:
        return self.store.get(key) or 0

    def delete(self, key: str) -> None:
        self.store.delete(key)

    def add(self, key: str, ttl: int) -> bool:
        return bool(self.store.add(key, 1, ttl))


class _DatabaseStore:
    """Counters as rows; every change is one statement, so concurrent hits never lose a count."""

    def incr(self, key: str, ttl: int) -> int:
        for _ in range(3):
            if RateCounter.objects.filter(key=key).update(hits=F("hits") + 1):
                # read after the update: may include later hits too, so it never undercounts
                return RateCounter.objects.filter(key=key).values_list("hits", flat=True).first() or 1
            if self.add(key, ttl):
                return 1
        return 1

    def read(self, key: str) -> int:
        return RateCounter.objects.filter(key=key).values_list("hits", flat=True).first() or 0

    def delete(self, key: str) -> None:
        RateCounter.objects.filter(key=key).delete()

    def add(self, key: str, ttl: int) -> bool:
        now = timezone.now()
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, hits=1, expires=now + timedelta(seconds=ttl))
        except IntegrityError:
            return False
        RateCounter.objects.filter(expires__lt=now).delete()  # a new window: past ones are done with
        return True


class _RedisStore(_CacheStore):
    """Redis: a hit is one atomic round trip (``ResilientRedisCache.count``)."""

    def incr(self, key: str, ttl: int) -> int:
        return self.store.count(key, ttl)


def _store():
    if isinstance(caches["default"], DatabaseCache):
        return _DatabaseStore()
    if isinstance(caches["default"], ResilientRedisCache):
        return _RedisStore(cache)
    return _CacheStore(cache)


def _call(operation: str, key: str, *args):
    try:
        return getattr(_store(), operation)(key, *args)
    except CACHE_ERRORS as exc:
        logger.warning("Counting %s in this process: the shared cache failed (%s)", key.split(":")[0], exc)
        return getattr(_CacheStore(_local), operation)(key, *args)


def hit(name: str, *, window: int, now: float | None = None) -> Count:
    """Count one hit on ``name`` in the current window of ``window`` seconds."""
    start, retry_after = _window(window, time.time() if now is None else now)
    return Count(_call("incr", f"{name}:{start}", window + 1), retry_after)


def peek(name: str, *, window: int, now: float | None = None) -> Count:
    """The hits on ``name`` so far in the current window, without counting one."""
    start, retry_after = _window(window, time.time() if now is None else now)
    return Count(_call("read", f"{name}:{start}"), retry_after)


def reset(name: str, *, window: int, now: float | None = None) -> None:
    start, _ = _window(window, time.time() if now is None else now)
    _call("delete", f"{name}:{start}")


def first_time(name: str, *, window: int, now: float | None = None) -> bool:
    """True for the first call with ``name`` in the current window (an atomic add)."""
    start, _ = _window(window, time.time() if now is None else now)
    return _call("add", f"{name}:{start}", window + 1)
