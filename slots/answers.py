"""Whole answers of slot searches, cached by the search, its minute, and the free-time versions of its people.

An answer depends on the search (people, range, duration, step, zone, pool), on each person's free time
(whose version ``slots.versions`` renews with every write to it) and on the clock: no slot starts before
now, nor sooner than an interviewer's minimum notice from now. Slot starts lie on a grid of whole minutes
and notices are whole minutes, so the answer at any instant is the answer at the next whole minute
(``search_instant``): the searches of one minute share one answer (the default range, now to now + 60 days, is
searched from its whole minute, which changes no slot either). An entry is kept with the versions it was
computed under and used only while each is still current; it expires soon after its minute has passed.
The free time behind a miss still comes from ``slots.free_time_cache``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.core.cache import cache

from core.cache_backends import CACHE_ERRORS
from slots.versions import current, version_key

ENTRY_SECONDS = 90  # an entry is of one minute; this only keeps it past that minute's end
_MINUTE = timedelta(minutes=1)


def search_instant(now: datetime) -> datetime:
    """``now`` rounded up to the whole minute: the instant a search is answered for (the same slots)."""
    floor = now.replace(second=0, microsecond=0)
    return floor if floor == now else floor + _MINUTE


def answer_cached(search: Sequence, people: Sequence[int], compute: Callable[[], dict]) -> dict:
    """The answer to ``search`` (a tuple of everything the answer depends on but free time, the search's
    minute included): from the cache while no one of ``people`` has written since, else ``compute()``."""
    key = "slots-answer:" + hashlib.sha256(repr(tuple(search)).encode()).hexdigest()[:40]
    try:
        found = cache.get_many([key, *(version_key(pk) for pk in people)])
        versions = current(people, found=found)
    except CACHE_ERRORS:  # the cache is down: compute
        return compute()
    stamp = tuple(versions[pk] for pk in people)
    kept = found.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    answer = compute()  # read after the versions: a write in between renews one, and this entry is never used
    try:
        cache.set(key, (stamp, answer), ENTRY_SECONDS)
    except CACHE_ERRORS:
        pass
    return answer
