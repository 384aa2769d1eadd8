"""The matcher: the slots when a candidate and every interviewer of a panel (and K of a pool) are all free,
and, when there is none, why."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.utils import timezone

from core.models import User
from slots.explain import Explanation, Search, explain
from slots.intervals import Interval, free_slots
from slots.pools import pool_slots
from slots.selectors import free_time, free_time_detail


def find_slots(
    *,
    candidate: User,
    interviewers: Sequence[User],
    start: datetime,
    end: datetime,
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
) -> list[Interval]:
    people = [candidate.pk, *(u.pk for u in interviewers)]
    now = timezone.now()
    free = free_time(people, start, end, now=now)
    return free_slots(
        [free[pk] for pk in people],
        bounds=Interval(start, end),
        duration=duration,
        step=step,
        tz=tz,
        not_before=now,
    )


@dataclass(frozen=True)
class SlotAnswer:
    slots: list[tuple[Interval, list[int]]]  # each slot with the pool members free for all of it
    explanation: Explanation | None  # only when there is no slot


def match(
    *,
    candidate: User,
    interviewers: Sequence[User],
    pool: Sequence[User] = (),
    pool_size: int = 0,
    start: datetime,
    end: datetime,
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
) -> SlotAnswer:
    """The slots for a panel and K of a pool, or why there are none (the same 4 queries either way)."""
    now = timezone.now()
    search = Search(
        required=(candidate.pk, *(u.pk for u in interviewers)),
        pool=tuple(u.pk for u in pool),
        pool_size=pool_size if pool else 0,
        duration=duration,
        step=step,
        tz=tz,
        bounds=Interval(start, end),
        not_before=now,
    )
    detail = free_time_detail(search.people, start, end, now=now)
    found = pool_slots(
        [detail.free[pk] for pk in search.required],
        {pk: detail.free[pk] for pk in search.pool},
        search.pool_size,
        bounds=search.bounds,
        duration=duration,
        step=step,
        tz=tz,
        not_before=now,
    )
    if found:
        return SlotAnswer(found, None)
    return SlotAnswer([], explain(search, before_policy=detail.before_policy, free=detail.free))
