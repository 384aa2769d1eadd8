"""Real-world calendar shapes (fixtures/real/*.ics are templates) made for a given day, with the exact busy
periods each must give. Dates are relative to ``today`` so that the tests pass on any date."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from slots.intervals import UTC, Interval, merge

REAL = Path(__file__).parent / "fixtures" / "real"
NEW_YORK, BERLIN, CHICAGO, KOLKATA = (ZoneInfo(z) for z in ("America/New_York", "Europe/Berlin", "America/Chicago",
                                                              "Asia/Kolkata"))


@dataclass
class Case:
    name: str
    content: bytes
    user_zone: str
    expected: list[Interval]  # every busy period over the days ``days`` from ``today``, before clipping
    skipped_uids: tuple = ()
    warnings: int = 0


def _d(day: date) -> str:
    return day.strftime("%Y%m%d")


def _render(name: str, **values) -> bytes:
    return Template((REAL / name).read_text()).substitute(**values).encode()


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def cases(today: date, days: int = 60) -> dict[str, Case]:
    """Each calendar with the busy periods it gives on the days today-2 .. today+days+2 (a superset of any
    window inside today..today+days; clip to the window to compare)."""
    span = list(_days(today - timedelta(days=2), today + timedelta(days=days + 2)))
    found = {}

    exdate, moved = today + timedelta(days=4), today + timedelta(days=6)
    google = [
        Interval(_local(d, 11 if d == moved else 9, 0, NEW_YORK), _local(d, 11 if d == moved else 9, 30, NEW_YORK))
        for d in span if d != exdate
    ]
    found["google_daily"] = Case("google_daily", _render("google_daily.ics", exdate=_d(exdate), moved=_d(moved)),
                                 "America/New_York", google)

    exdate = today + timedelta(days=7 - today.weekday())  # next Monday
    outlook = [Interval(_local(d, 9, 30, BERLIN), _local(d, 9, 45, BERLIN))
               for d in span if d.weekday() < 5 and d != exdate]
    found["outlook_standup"] = Case("outlook_standup", _render("outlook_standup.ics", exdate=_d(exdate)),
                                    "Europe/Berlin", outlook)

    first, until, exdate = today - timedelta(days=10), today + timedelta(days=20), today + timedelta(days=7)
    apple = merge(Interval(_local(d, 0, 0, BERLIN), _local(d + timedelta(days=1), 0, 0, BERLIN))
                  for d in _days(first, until) if d != exdate)
    found["apple_allday"] = Case("apple_allday", _render("apple_allday.ics", first=_d(first),
                                 first_end=_d(first + timedelta(days=1)), until=_d(until), exdate=_d(exdate)),
                                 "Europe/Berlin", apple)

    day1, day2, day3, day4 = (today + timedelta(days=n) for n in (2, 3, 4, 5))
    birthday = today + timedelta(days=20)
    if (birthday.month, birthday.day) == (2, 29):
        birthday += timedelta(days=1)
    after = date(2013, birthday.month, birthday.day) + timedelta(days=1)
    bad = [
        Interval(_local(day1, 10, 0, UTC), _local(day1, 11, 0, UTC)),
        Interval(_local(day2, 17, 0, UTC), _local(day2, 18, 30, UTC)),
        Interval(_local(day4, 9, 0, CHICAGO), _local(day4, 10, 0, CHICAGO)),  # unknown zone: the user's
        Interval(_local(birthday, 0, 0, CHICAGO), _local(birthday + timedelta(days=1), 0, 0, CHICAGO)),
    ]
    found["one_bad_event"] = Case(
        "one_bad_event",
        _render("one_bad_event.ics", day1=_d(day1), day2=_d(day2), day3=_d(day3), day4=_d(day4),
                birthday=birthday.strftime("%m%d"), birthday_end=after.strftime("%m%d")),
        "America/Chicago", sorted(bad), skipped_uids=("bad-start@nextcloud", "negative@nextcloud", "zero@nextcloud"),
        warnings=1,
    )

    stream = [Interval(_local(day1, 15, 0, KOLKATA), _local(day1, 16, 0, KOLKATA)),
              Interval(_local(day2, 8, 0, UTC), _local(day2, 9, 0, UTC))]
    found["icalstream"] = Case("icalstream", _render("icalstream.ics", day1=_d(day1), day2=_d(day2)), "Asia/Kolkata",
                               stream)
    return found


def clip(periods: list[Interval], window: Interval) -> list[Interval]:
    inside = [Interval(max(p.start, window.start), min(p.end, window.end)) for p in periods]
    return merge(p for p in inside if p.end > p.start)
