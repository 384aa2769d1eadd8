"""Weekly availability rules ("Mondays and Wednesdays, 09:00-17:00 in Europe/Paris") expanded to intervals.

Pure Python: no Django here. Times are wall-clock in the rule's zone; a rule whose end is not after its
start runs past midnight into the next day. A start in a DST gap moves forward by the gap; an ambiguous
wall time means its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from slots.intervals import UTC, Interval

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WeeklyPattern:
    weekdays: frozenset[int]  # Monday is 0
    start_time: time
    end_time: time
    tz: tzinfo
    valid_from: date | None = None
    valid_until: date | None = None  # inclusive

    def expand(self, start: datetime, end: datetime) -> list[Interval]:
        """The rule's occurrences that overlap ``[start, end)``, in UTC, sorted."""
        first = start.astimezone(self.tz).date() - _DAY  # yesterday's occurrence may run past midnight
        last = end.astimezone(self.tz).date()
        if self.valid_from and self.valid_from > first:
            first = self.valid_from
        if self.valid_until and self.valid_until < last:
            last = self.valid_until
        crosses_midnight = self.end_time <= self.start_time
        result = []
        day = first
        while day <= last:
            if day.weekday() in self.weekdays:
                occ_start = _local(day, self.start_time, self.tz)
                occ_end = _local(day + _DAY if crosses_midnight else day, self.end_time, self.tz)
                if occ_end > occ_start and occ_end > start and occ_start < end:
                    result.append(Interval(occ_start, occ_end))
            day += _DAY
        return result


def _local(day: date, wall: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
