"""Half-open intervals of aware datetimes, and slots laid on a wall-clock grid.

Pure Python over ``datetime``: no Django here. Every interval is ``[start, end)``; two intervals that
touch (one's end is the other's start) do not overlap, but one person's touching windows merge into one
stretch of free time. Every function takes and returns intervals sorted by start; ``merge`` puts any
input in that form. All costs are O(n log n) in the number of intervals (plus the size of the answer).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from core.timezones import wall_to_instants

UTC = timezone.utc
_DAY = timedelta(days=1)
# Wall time and UTC differ by at most this much on a DST day (it bounds where the grid can lie).
_DST_MARGIN = timedelta(hours=3)


class Interval(NamedTuple):
    start: datetime
    end: datetime

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def interval(start: datetime, end: datetime) -> Interval:
    """An interval in UTC; both ends must be aware and ``end`` after ``start``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interval ends must be timezone-aware")
    if end <= start:
        raise ValueError("an interval must end after it starts")
    return Interval(start.astimezone(UTC), end.astimezone(UTC))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time; overlapping and touching ones become one."""
    ordered = sorted(i for i in intervals if i.end > i.start)
    merged: list[Interval] = []
    for current in ordered:
        if merged and current.start <= merged[-1].end:
            if current.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, current.end)
        else:
            merged.append(current)
    return merged


def subtract(free: Sequence[Interval], busy: Sequence[Interval]) -> list[Interval]:
    """``free`` minus ``busy``; both must be merged (sorted and disjoint)."""
    result: list[Interval] = []
    j = 0
    for start, end in free:
        while j < len(busy) and busy[j].end <= start:
            j += 1
        cursor = start
        k = j
        while k < len(busy) and busy[k].start < end:
            if busy[k].start > cursor:
                result.append(Interval(cursor, busy[k].start))
            if busy[k].end > cursor:
                cursor = busy[k].end
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            result.append(Interval(cursor, end))
    return result


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The time in both ``a`` and ``b``; both must be merged."""
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        (a_start, a_end), (b_start, b_end) = a[i], b[j]
        start = a_start if a_start > b_start else b_start
        end = a_end if a_end < b_end else b_end
        if start < end:
            result.append(Interval(start, end))
        if a_end <= b_end:
            i += 1
        else:
            j += 1
    return result


def intersect_all(schedules: Sequence[Sequence[Interval]]) -> list[Interval]:
    """The time every schedule has in common; an empty list of schedules has none."""
    if not schedules:
        return []
    result = list(schedules[0])
    for schedule in schedules[1:]:
        result = intersect(result, schedule)
        if not result:
            break
    return result


_START, _END = attrgetter("start"), attrgetter("end")


def clip(intervals: Sequence[Interval], bounds: Interval) -> list[Interval]:
    """The part of ``intervals`` (merged) inside ``bounds``: ``intersect(intervals, [bounds])``, found by
    binary search (only the first and last interval kept can be cut)."""
    first = bisect_right(intervals, bounds.start, key=_END)  # the first that ends after bounds start
    last = bisect_left(intervals, bounds.end, key=_START)  # past the last that starts before bounds end
    inside = list(intervals[first:last])
    if inside and inside[0].start < bounds.start:
        inside[0] = Interval(bounds.start, inside[0].end)
    if inside and inside[-1].end > bounds.end:
        inside[-1] = Interval(inside[-1].start, bounds.end)
    return inside


@lru_cache(maxsize=4096)
def _offset_is_constant(day: date, tz: tzinfo) -> bool:
    """True when the zone's offset is the same through the whole local day (no transition in it)."""
    midnight = datetime.combine(day, time(0))
    next_midnight = midnight + _DAY
    offsets = {
        tz.utcoffset(midnight.replace(fold=0)),
        tz.utcoffset(midnight.replace(fold=1)),
        tz.utcoffset(next_midnight.replace(fold=0)),
        tz.utcoffset(next_midnight.replace(fold=1)),
    }
    return len(offsets) == 1



def slots(
    free: Sequence[Interval],
    *,
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
) -> list[Interval]:
    """Every ``[s, s + duration)`` inside one stretch of ``free`` (merged), where ``s``'s wall-clock time in
    ``tz`` is a whole multiple of ``step`` after local midnight and ``s >= not_before``.

    On a DST change day the grid follows the wall clock: a wall time in the gap gives no start, a repeated
    wall time gives two. The cost is the number of local days the free stretches span plus the answer.
    """
    if duration <= timedelta(0) or step <= timedelta(0):
        raise ValueError("duration and step must be positive")
    points_per_day = -(-_DAY // step)  # grid points k * step that fall before the next midnight
    found: list[Interval] = []
    for stretch_start, stretch_end in free:
        lo = stretch_start if not_before is None else max(stretch_start, not_before)
        hi = stretch_end - duration  # the last start that still fits
        if lo > hi:
            continue
        day = (lo - _DST_MARGIN).astimezone(tz).date()
        last_day = (hi + _DST_MARGIN).astimezone(tz).date()
        while day <= last_day:
            midnight = datetime.combine(day, time(0))
            if _offset_is_constant(day, tz):
                offset = tz.utcoffset(midnight)
                midnight_utc = (midnight - offset).replace(tzinfo=UTC)
                k_first = max(0, -((midnight_utc - lo) // step))  # ceil((lo - midnight) / step)
                k_last = min(points_per_day - 1, (hi - midnight_utc) // step)
                for k in range(k_first, k_last + 1):
                    start = midnight_utc + k * step
                    found.append(Interval(start, start + duration))
            else:  # the offset changes that day: walk its wall-clock grid, near the stretch only (a start's wall
                # time is within _DST_MARGIN of lo's and of hi's, as the offset moves by less than that)
                near_lo = lo.astimezone(tz).replace(tzinfo=None) - _DST_MARGIN
                near_hi = hi.astimezone(tz).replace(tzinfo=None) + _DST_MARGIN
                k_first = max(0, -((midnight - near_lo) // step))
                k_last = min(points_per_day - 1, (near_hi - midnight) // step)
                for k in range(k_first, k_last + 1):
                    for start in wall_to_instants(midnight + k * step, tz):
                        if lo <= start <= hi:
                            found.append(Interval(start, start + duration))
            day += _DAY
    found.sort()
    return found


def free_slots(
    schedules: Sequence[Sequence[Interval]],
    *,
    bounds: Interval,
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
) -> list[Interval]:
    """The slots when every participant (each a merged list of free time) is free, inside ``bounds``."""
    common = clip(intersect_all(schedules), bounds)
    return slots(common, duration=duration, step=step, tz=tz, not_before=not_before)
