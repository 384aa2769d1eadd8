"""Slots where, besides a fixed panel, K members of a pool are free (the round-robin view).

Pure Python over ``slots.intervals``: no Django here. A pool's "K free" time is where at least K members'
free time overlaps (``at_least``); that is only a necessary condition for a slot (members may take turns
inside it), so each slot found there is then checked member by member: the slot's ``available`` members
are those free for all of it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

from slots.intervals import Interval, clip, intersect_all, merge, slots

Schedule = Sequence[Interval]


def at_least(schedules: Sequence[Schedule], k: int) -> list[Interval]:
    """The time covered by at least ``k`` of the schedules (each merged); ``k`` must be positive."""
    if k <= 0:
        raise ValueError("k must be positive")
    events: list[tuple] = []
    for schedule in schedules:
        for start, end in schedule:
            events.append((start, 1))
            events.append((end, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # at one instant, ends (-1) before starts: half-open
    found: list[Interval] = []
    count = 0
    opened = None
    for instant, delta in events:
        before = count
        count += delta
        if before < k <= count:
            opened = instant
        elif count < k <= before and opened is not None and instant > opened:
            found.append(Interval(opened, instant))
    return merge(found)


class Pool:
    """Pool members' free time, indexed so that "who is free for all of this slot" is a binary search."""

    def __init__(self, members: Mapping[int, Schedule]):
        self.members = {pk: list(members[pk]) for pk in sorted(members)}
        self._starts = {pk: [i.start for i in free] for pk, free in self.members.items()}

    def free_for(self, slot: Interval) -> list[int]:
        """The members free for the whole slot, sorted by id."""
        found = []
        for pk, free in self.members.items():
            index = bisect_right(self._starts[pk], slot.start) - 1
            if index >= 0 and free[index].end >= slot.end:
                found.append(pk)
        return found


def pool_slots(
    required: Sequence[Schedule],
    pool: Mapping[int, Schedule],
    pool_size: int,
    *,
    bounds: Interval,
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
    first_only: bool = False,
) -> list[tuple[Interval, list[int]]]:
    """Each grid slot inside every ``required`` schedule with at least ``pool_size`` pool members free for
    all of it, with those members (sorted by id; ``[]`` when there is no pool). ``first_only`` stops at the
    first slot found (a yes/no question)."""
    schedules = list(required)
    members = Pool(pool) if pool and pool_size else None
    if members is not None:
        schedules.append(at_least(list(members.members.values()), pool_size))
    common = clip(intersect_all(schedules), bounds)
    found: list[tuple[Interval, list[int]]] = []
    for stretch in common if first_only else [None]:
        part = [stretch] if stretch is not None else common
        for slot in slots(part, duration=duration, step=step, tz=tz, not_before=not_before):
            available = members.free_for(slot) if members is not None else []
            if members is None or len(available) >= pool_size:
                found.append((slot, available))
                if first_only:
                    return found
    return found
