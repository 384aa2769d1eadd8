"""Why a slot search found nothing, and who to chase. Pure Python: no Django here.

The first of these that holds is the answer (API.md, "Slots: pools and explanations"):

- ``no_free_time``: these people have no free time at all in the range (availability less busy time);
- ``no_common_time``: everyone has free time, but never all at once;
- ``too_short``: common time exists, but no stretch of it holds a slot of ``duration`` on the grid;
- ``policy``: slots exist, but interviewers' buffers, notice or daily caps remove every one.

The four are exhaustive: slots before policy either exist (then ``policy`` holds) or not (then one of the
first three does). Who is named: for ``no_free_time`` exactly the people without time; for
``no_common_time`` and ``too_short`` the people whose absence alone would let the search succeed (the
blockers), or everyone when no single person is to blame; for ``policy`` the people whose policy alone
removes every slot, or else everyone whose policy takes time away in the range. A pool counts as one
participant: when it blocks, its members are named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from slots.intervals import Interval, clip, intersect_all
from slots.pools import at_least, pool_slots

NO_FREE_TIME = "no_free_time"
NO_COMMON_TIME = "no_common_time"
TOO_SHORT = "too_short"
POLICY = "policy"
CODES = (NO_FREE_TIME, NO_COMMON_TIME, TOO_SHORT, POLICY)

Schedule = Sequence[Interval]


@dataclass(frozen=True)
class Explanation:
    code: str
    message: str
    users: tuple[int, ...]

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "users": list(self.users)}


@dataclass(frozen=True)
class Search:
    """One slot search: everyone in ``required`` and ``pool_size`` of ``pool`` free for ``duration``."""

    required: tuple[int, ...]
    duration: timedelta
    step: timedelta
    tz: tzinfo
    bounds: Interval
    not_before: datetime | None = None
    pool: tuple[int, ...] = ()
    pool_size: int = 0
    people: tuple[int, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "people", tuple(dict.fromkeys((*self.required, *self.pool))))

    @property
    def window(self) -> Interval | None:
        """The part of the range a slot may start in (never in the past); None when nothing is left."""
        start = self.bounds.start if self.not_before is None else max(self.bounds.start, self.not_before)
        return Interval(start, self.bounds.end) if start < self.bounds.end else None

    def has_slot(self, free: Mapping[int, Schedule], *, without: frozenset = frozenset()) -> bool:
        """True when a slot exists; ``without`` leaves out required people, or the pool (``"pool"``)."""
        required = [free[pk] for pk in self.required if pk not in without]
        pool = {} if "pool" in without else {pk: free[pk] for pk in self.pool}
        if not required and not pool:
            return False
        return bool(pool_slots(required, pool, self.pool_size, bounds=self.bounds, duration=self.duration,
                               step=self.step, tz=self.tz, not_before=self.not_before, first_only=True))

    def has_common_time(self, free: Mapping[int, Schedule], *, without: frozenset = frozenset()) -> bool:
        window = self.window
        if window is None:
            return False
        schedules = [free[pk] for pk in self.required if pk not in without]
        if self.pool and self.pool_size and "pool" not in without:
            schedules.append(at_least([free[pk] for pk in self.pool], self.pool_size))
        return bool(schedules) and bool(clip(intersect_all(schedules), window))

    def parts(self) -> list:
        """What can block a search: each required person, and the pool as a whole."""
        return [*self.required, *(["pool"] if self.pool and self.pool_size else [])]

    def members(self, part) -> list[int]:
        return list(self.pool) if part == "pool" else [part]


def _blockers(search: Search, holds: Callable[[frozenset], bool]) -> tuple[int, ...]:
    """The people whose absence alone makes ``holds`` true; everyone when nobody alone does."""
    named: list[int] = []
    for part in search.parts():
        if holds(frozenset([part])):
            named.extend(search.members(part))
    return tuple(sorted(set(named or search.people)))


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _users(ids: Sequence[int]) -> str:
    return ", ".join(str(pk) for pk in ids)


def explain(search: Search, *, before_policy: Mapping[int, Schedule], free: Mapping[int, Schedule]) -> Explanation | None:
    """Why ``search`` finds no slot, given each person's free time before and after their policy
    (merged); None when it does find one."""
    if search.has_slot(free):
        return None
    window = search.window
    own = {pk: (clip(before_policy[pk], window) if window else []) for pk in search.people}

    missing = [pk for pk in search.required if not own[pk]]
    if search.pool and search.pool_size and sum(1 for pk in search.pool if own[pk]) < search.pool_size:
        missing.extend(pk for pk in search.pool if not own[pk])
    if missing:
        users = tuple(sorted(set(missing)))
        return Explanation(NO_FREE_TIME, f"No free time at all in the range for users {_users(users)}.", users)

    if not search.has_common_time(own):
        users = _blockers(search, lambda without: search.has_common_time(own, without=without))
        return Explanation(
            NO_COMMON_TIME,
            f"Everyone has free time in the range, but never all at the same time (users {_users(users)}).",
            users,
        )

    if not search.has_slot(own):
        users = _blockers(search, lambda without: search.has_slot(own, without=without))
        return Explanation(
            TOO_SHORT,
            f"Everyone is free at the same time, but never for {_minutes(search.duration)} minutes from a start "
            f"on the {_minutes(search.step)}-minute grid (users {_users(users)}).",
            users,
        )

    named = [pk for pk in search.people if search.has_slot({**free, pk: before_policy[pk]})]
    if not named:
        named = [pk for pk in search.people if clip(free[pk], window) != own[pk]]
    users = tuple(sorted(set(named or search.people)))
    return Explanation(
        POLICY,
        f"There is common free time, but scheduling policies (buffers, notice, daily caps) remove every slot "
        f"(the policies of users {_users(users)}).",
        users,
    )
