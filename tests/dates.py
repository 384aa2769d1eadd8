"""Calendar days for tests, computed from today, so every test passes whatever the date is.

The clock may be moved for a whole session (`bin/test --clock-shift-days=365`, see tests/conftest.py); everything
here follows it. Days that must have a property (a Monday, a DST change) are the next such day from today.
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo


def today() -> date:
    return datetime.now(UTC).date()


def monday(weeks_ahead: int = 2) -> date:
    """The Monday of the week `weeks_ahead` weeks from now: between 7 * weeks_ahead - 6 and 7 * weeks_ahead days on."""
    day = today() + timedelta(weeks=weeks_ahead)
    return day - timedelta(days=day.weekday())


def _zone(tz) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def at(day: date, hour: int = 0, minute: int = 0, tz=UTC) -> datetime:
    """An aware datetime: wall time `hour:minute` on `day` in `tz` (first occurrence of a repeated time)."""
    return datetime.combine(day, time(hour, minute), tzinfo=_zone(tz))


def z(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, for query strings (a `+` would need escaping)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso(moment: datetime, tz=None) -> str:
    """How the API writes `moment` in `tz` (default: the moment's own zone)."""
    return (moment.astimezone(_zone(tz)) if tz else moment).isoformat()


def next_dst_change(tz, forward: bool, after: date | None = None) -> date:
    """The next local day after `after` (default today) on which `tz`'s clocks go forward (forward=True, a gap)
    or back (a repeated hour): the day whose midnight and next midnight have different UTC offsets."""
    zone = _zone(tz)
    day = after or today()
    for _ in range(3 * 366):
        day += timedelta(days=1)
        before = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        after_change = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).utcoffset()
        if before != after_change and (after_change > before) == forward:
            return day
    raise LookupError(f"{zone} has no DST change in three years")


def without_dst_change(*zones, days: int = 1, after: date | None = None) -> date:
    """The first day from `after` (default: monday(2)) starting `days` days in which none of `zones` changes
    its clocks."""
    day = after or monday(2)
    for _ in range(3 * 366):
        if all(len({datetime.combine(day + timedelta(days=k), time(0), tzinfo=_zone(z)).utcoffset()
                    for k in range(days + 1)}) == 1 for z in zones):
            return day
        day += timedelta(days=1)
    raise LookupError("no such day")
