"""Each person's free time for slot searches, cached with its version (``slots.versions``).

What is cached is a person's ``Schedule`` (availability less busy time, their interviews, their policy) for
a range of whole UTC days that covers the search, so a search whose range moves with the clock (the
default: from now on) finds the same entry all day. The policy is applied to it at each search, with that
search's ``now`` (minimum notice moves with the clock). Only searches read this cache: a booking checks the
database under its locks.

Two tiers: the shared cache, and a copy in each process (``_Copies``) of the entries it used last, so that a
search in a process that has seen these people's current versions reads only the versions, not the schedules
(decoding a year of someone's free time costs more than matching it). Both are used only under the person's
current version, read from the shared cache at each search.

Entries also expire ``ENTRY_SECONDS`` after their rows were read, in both tiers, which bounds what a cache
that lost a write's new version (an outage at the moment of the commit) could keep showing.
"""

from __future__ import annotations

import threading
import time as clock
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import NamedTuple

from django.core.cache import cache

from core.cache_backends import CACHE_ERRORS
from slots.intervals import UTC
from slots.selectors import FreeTime, Schedule, free_time_of, schedules
from slots.versions import current

ENTRY_SECONDS = 300
# What each process keeps, counted in intervals (about 160 bytes each): some 30 MB however many entries that is,
# so people whose free time is in many pieces cannot make it large. A year of working days is some 300.
COPIES_INTERVALS_PER_PROCESS = 200_000
_KEY = "free-time:{pk}:{start:%Y%m%d}:{end:%Y%m%d}"


class Entry(NamedTuple):
    version: str  # the person's version when the rows were read
    read_at: float  # when (seconds since the epoch)
    schedule: Schedule

    def usable(self, version: str) -> bool:
        return self.version == version and clock.time() < self.read_at + ENTRY_SECONDS


def _size(entry: Entry) -> int:
    return 1 + len(entry.schedule.before_policy) + len(entry.schedule.interviews)


class _Copies:
    """The entries this process used last, by key, up to ``limit`` intervals in all (least recently used out;
    an entry larger than that is not kept)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def keep(self, entries: dict[str, Entry]) -> None:
        with self._lock:
            for key, entry in entries.items():
                if key in self._entries:
                    self._size -= _size(self._entries.pop(key))
                if _size(entry) > self.limit:  # it would push everything out, then itself
                    continue
                self._entries[key] = entry
                self._size += _size(entry)
            while self._size > self.limit:
                self._size -= _size(self._entries.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


copies = _Copies(COPIES_INTERVALS_PER_PROCESS)


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The UTC midnights around ``[start, end)``."""
    first = datetime.combine(start.astimezone(UTC).date(), time(0), tzinfo=UTC)
    last = datetime.combine(end.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return first, (last if last == end else last + timedelta(days=1))


def free_time_cached(user_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime) -> FreeTime:
    """``selectors.free_time_detail`` for a search: the same answer within ``[start, end)``, read from the
    cache for everyone whose data has not changed (one cache read for everyone's versions, a second for the
    entries this process has no current copy of; the database only for those whose entry is missing or older
    than their version)."""
    ids = list(dict.fromkeys(user_ids))
    first, last = whole_days(start, end)
    keys = {pk: _KEY.format(pk=pk, start=first, end=last) for pk in ids}
    try:
        versions = current(ids)
        known = {}  # pk: their schedule, from an entry under their current version
        for pk in ids:
            entry = copies.get(keys[pk])
            if entry is not None and entry.usable(versions[pk]):
                known[pk] = entry.schedule
        wanted = [keys[pk] for pk in ids if pk not in known]
        shared = cache.get_many(wanted) if wanted else {}
    except CACHE_ERRORS:  # the cache is down: the database answers
        return free_time_of(schedules(ids, first, last), now)
    for pk in ids:
        entry = shared.get(keys[pk])
        if pk not in known and isinstance(entry, Entry) and entry.usable(versions[pk]):
            known[pk] = entry.schedule
            copies.keep({keys[pk]: entry})
    missing = [pk for pk in ids if pk not in known]
    if missing:
        read_at = clock.time()
        fresh = schedules(missing, first, last)
        entries = {keys[pk]: Entry(versions[pk], read_at, fresh[pk]) for pk in missing}
        copies.keep(entries)
        try:
            cache.set_many(entries, ENTRY_SECONDS)
        except CACHE_ERRORS:
            pass
        known.update(fresh)
    return free_time_of({pk: known[pk] for pk in ids}, now)
