from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from slots.intervals import UTC
from slots.weekly import WeeklyPattern

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekdays_in_range_only():
    rule = WeeklyPattern(frozenset({0, 2}), time(9), time(17), KOLKATA)  # Mon, Wed
    found = rule.expand(utc(2027, 5, 3), utc(2027, 5, 10))  # Mon 3 .. Mon 10 (exclusive)
    assert [(i.start, i.end) for i in found] == [
        (utc(2027, 5, 3, 3, 30), utc(2027, 5, 3, 11, 30)),
        (utc(2027, 5, 5, 3, 30), utc(2027, 5, 5, 11, 30)),
    ]


def test_crossing_midnight_and_yesterdays_occurrence():
    rule = WeeklyPattern(frozenset({6}), time(22), time(2), UTC)  # Sunday 22:00 - Monday 02:00
    found = rule.expand(utc(2027, 5, 3), utc(2027, 5, 4))  # Monday only
    assert [(i.start, i.end) for i in found] == [(utc(2027, 5, 2, 22), utc(2027, 5, 3, 2))]


def test_wall_clock_across_dst():
    rule = WeeklyPattern(frozenset({0, 1, 2, 3, 4, 5, 6}), time(9), time(17), NY)
    found = rule.expand(utc(2027, 3, 13), utc(2027, 3, 16))
    assert [i.start.astimezone(NY).hour for i in found] == [9, 9, 9]
    assert [i.start.hour for i in found] == [14, 13, 13]  # EST then EDT


def test_validity_dates_are_inclusive():
    rule = WeeklyPattern(frozenset(range(7)), time(9), time(10), UTC, valid_from=date(2027, 5, 4), valid_until=date(2027, 5, 5))
    found = rule.expand(utc(2027, 5, 1), utc(2027, 5, 10))
    assert [i.start.day for i in found] == [4, 5]


def test_all_day_rule():
    rule = WeeklyPattern(frozenset({0}), time(0), time(0), UTC)
    found = rule.expand(utc(2027, 5, 1), utc(2027, 5, 10))
    assert [(i.start, i.end) for i in found] == [(utc(2027, 5, 3), utc(2027, 5, 4))]
