"""Each person's free time for slot searches, cached per version (``slots.versions``).

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
from slots.versions import current

ENTRY_SECONDS = 300
_KEY = "free-time:{pk}:{version}:{start:%Y%m%d}:{end:%Y%m%d}"


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The UTC midnights around ``[start, end)``."""
    first = datetime.combine(start.astimezone(UTC).date(), time(0), tzinfo=UTC)
    last = datetime.combine(end.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return first, (last if last == end else last + timedelta(days=1))


def free_time_cached(user_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime) -> FreeTime:
    """``selectors.free_time_detail`` for a search: the same answer within ``[start, end)``, read from the
    cache for everyone whose data has not changed (two cache reads; the database only for the others)."""
    ids = list(dict.fromkeys(user_ids))
    first, last = whole_days(start, end)
    try:
        keys = {pk: _KEY.format(pk=pk, version=version, start=first, end=last) for pk, version in current(ids).items()}
        found = cache.get_many(list(keys.values()))
    except CACHE_ERRORS:  # the cache is down: the database answers
        return free_time_of(schedules(ids, first, last), now)
    known = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in ids if pk not in known]
    if missing:
        fresh = schedules(missing, first, last)
        try:
            cache.set_many({keys[pk]: fresh[pk] for pk in missing}, ENTRY_SECONDS)
        except CACHE_ERRORS:
            pass
        known.update(fresh)
    return free_time_of({pk: known[pk] for pk in ids}, now)
