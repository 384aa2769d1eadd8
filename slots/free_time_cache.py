"""Each person's free time for slot searches, cached with its version (``slots.versions``).

What is cached is a person's ``Schedule`` (availability less busy time, their interviews, their policy) for
a range of whole UTC days that covers the search, so a search whose range moves with the clock (the
default: from now on) finds the same entry all day. The policy is applied to it at each search, with that
search's ``now`` (minimum notice moves with the clock). Only searches read this cache: a booking checks the
database under its locks.

Entries also expire after ``ENTRY_SECONDS``, which bounds what a cache that lost a write's new version
(an outage at the moment of the commit) could keep showing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.core.cache import cache

from core.cache_backends import CACHE_ERRORS
from slots.intervals import UTC
from slots.selectors import FreeTime, free_time_of, schedules
from slots.versions import current, version_key

ENTRY_SECONDS = 300
_KEY = "free-time:{pk}:{start:%Y%m%d}:{end:%Y%m%d}"


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The UTC midnights around ``[start, end)``."""
    first = datetime.combine(start.astimezone(UTC).date(), time(0), tzinfo=UTC)
    last = datetime.combine(end.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return first, (last if last == end else last + timedelta(days=1))


def free_time_cached(user_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime) -> FreeTime:
    """``selectors.free_time_detail`` for a search: the same answer within ``[start, end)``, read from the
    cache for everyone whose data has not changed (one cache read for everyone's versions and entries; the
    database only for those whose entry is missing or older than their version)."""
    ids = list(dict.fromkeys(user_ids))
    first, last = whole_days(start, end)
    keys = {pk: _KEY.format(pk=pk, start=first, end=last) for pk in ids}
    try:
        found = cache.get_many([*keys.values(), *(version_key(pk) for pk in ids)])
        versions = current(ids, found=found)
    except CACHE_ERRORS:  # the cache is down: the database answers
        return free_time_of(schedules(ids, first, last), now)
    known = {}
    for pk, key in keys.items():
        version, schedule = found.get(key, (None, None))
        if version == versions[pk]:
            known[pk] = schedule
    missing = [pk for pk in ids if pk not in known]
    if missing:
        fresh = schedules(missing, first, last)
        try:
            cache.set_many({keys[pk]: (versions[pk], fresh[pk]) for pk in missing}, ENTRY_SECONDS)
        except CACHE_ERRORS:
            pass
        known.update(fresh)
    return free_time_of({pk: known[pk] for pk in ids}, now)
