"""A version of each person's free time, changed by every write that can change it, once that write commits.

Cached free time (``slots.free_time_cache``) is kept with the version it was read at, and used only while
that is still the person's version. A write sets a new version at once (so reads inside its
own transaction see its rows) and again when its transaction commits: whatever another connection read
in between, under the first new version but from the data before the commit, is out of date after that
second one. A version missing from the cache (never set, expired, evicted, or the cache emptied) is given a
fresh one: a lost version costs a miss, never a stale answer. A write while the cache is down cannot set a
version: the entries cached before it expire on their own (``free_time_cache.ENTRY_SECONDS``).

Writes reach ``touch`` from the models of ``slots.models`` (their save and delete, their querysets' bulk
writes) and from the deletion of anything they hang from (an interview, an imported calendar): see
``slots.apps``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from core.cache_backends import CACHE_ERRORS

logger = logging.getLogger(__name__)

_KEY = "free-time-version:{}"
# A version needs to outlive only the entries kept under it (minutes); one that expired is made anew, which
# no entry matches. So versions of ids that are no one's (a search naming them) do not pile up.
VERSION_SECONDS = 24 * 3600


def _fresh() -> str:
    return uuid.uuid4().hex[:16]


def touch(user_ids: Iterable[int | None]) -> None:
    """These people's free time may have changed: new versions now, and again when the transaction commits."""
    ids = sorted({pk for pk in user_ids if pk is not None})
    if ids:
        _renew(ids)
        transaction.on_commit(lambda: _renew(ids), robust=True)


def _renew(ids: list[int]) -> None:
    try:
        cache.set_many({_KEY.format(pk): _fresh() for pk in ids}, timeout=VERSION_SECONDS)
    except CACHE_ERRORS as exc:  # the write stands; entries cached before it expire on their own
        logger.warning("Free time of users %s changed while the cache is down: %s", ids, exc)


def version_key(user_id: int) -> str:
    return _KEY.format(user_id)


def current(user_ids: Iterable[int], *, found: dict | None = None) -> dict[int, str]:
    """Each person's version (one cache read when all are known). ``found``: what a ``get_many`` that asked
    for the version keys along with other keys answered (then no read here when all were there)."""
    keys = {pk: version_key(pk) for pk in dict.fromkeys(user_ids)}
    if found is None:
        found = cache.get_many(list(keys.values()))
    found = {key: found[key] for key in keys.values() if key in found}
    missing = [pk for pk, key in keys.items() if key not in found]
    for pk in missing:
        cache.add(keys[pk], _fresh(), timeout=VERSION_SECONDS)  # never over a version a writer just set
    if missing:
        found.update(cache.get_many([keys[pk] for pk in missing]))
    # a cache that keeps nothing (down, or a dummy): a fresh version each time, which no entry can match
    return {pk: found.get(key) or _fresh() for pk, key in keys.items()}
