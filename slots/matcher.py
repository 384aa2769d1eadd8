"""The matcher: the slots when a candidate and every interviewer of a panel (and K of a pool) are all free,
and, when there is none, why."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.utils import timezone

from core.models import User
from slots.explain import Explanation, Search, explain
from slots.intervals import Interval, free_slots
from slots import loops
from slots.loops import Itinerary, Session, explain_loop, search_loops, session_tables
from slots.pools import pool_slots
from slots.free_time_cache import free_time_cached
from slots.selectors import free_time


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
    now: datetime | None = None,
) -> SlotAnswer:
    """The slots for a panel and K of a pool, or why there are none (the same 3 queries either way, none
    for people whose free time is cached), as of ``now`` (default: the clock's)."""
    now = now or timezone.now()
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
    detail = free_time_cached(search.people, start, end, now=now)
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


@dataclass(frozen=True)
class LoopMatch:
    options: list[Itinerary]
    complete: bool  # False when the search's work budget ran out first
    explanation: Explanation | None  # only when there is no option


def match_loop(
    *,
    candidate: User,
    sessions: Sequence[Session],
    any_order: bool,
    max_gap: timedelta,
    start: datetime,
    end: datetime,
    step: timedelta,
    tz: tzinfo,
    limit: int,
) -> LoopMatch:
    """Itineraries for a loop (``slots.loops``), or why there are none; everyone's free time in 3 queries."""
    now = timezone.now()
    people = [candidate.pk, *(pk for s in sessions for pk in (*s.interviewers, *s.pool))]
    detail = free_time_cached(people, start, end, now=now)
    where = dict(bounds=Interval(start, end), step=step, tz=tz, not_before=now)
    tables = session_tables(sessions, candidate=detail.free[candidate.pk], free=detail.free, **where)
    common = dict(where, any_order=any_order, max_gap=max_gap, tables=tables, max_states=loops.MAX_STATES)
    answer = search_loops(sessions, candidate=detail.free[candidate.pk], free=detail.free, limit=limit, **common)
    if answer.itineraries:
        return LoopMatch(answer.itineraries, answer.complete, None)
    explanation = explain_loop(sessions, candidate=candidate.pk, before_policy=detail.before_policy,
                               free=detail.free, **common)
    return LoopMatch([], answer.complete, explanation)
