from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from slots.intervals import UTC
from slots.weekly import WeeklyPattern
from tests import dates

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
MONDAY = dates.monday(2)
SPRING = dates.next_dst_change(NY, forward=True)  # New York: 02:00 EST -> 03:00 EDT


def utc(days: int, hour: int = 0, minute: int = 0, day0=MONDAY) -> datetime:
    """`days` days after `day0` (a Monday by default), at hour:minute UTC."""
    return dates.at(day0 + timedelta(days=days), hour, minute, UTC)


def test_weekdays_in_range_only():
    rule = WeeklyPattern(frozenset({0, 2}), time(9), time(17), KOLKATA)  # Mon, Wed
    found = rule.expand(utc(0), utc(7))  # Monday .. next Monday (exclusive)
    assert [(i.start, i.end) for i in found] == [
        (utc(0, 3, 30), utc(0, 11, 30)),
        (utc(2, 3, 30), utc(2, 11, 30)),
    ]


def test_crossing_midnight_and_yesterdays_occurrence():
    rule = WeeklyPattern(frozenset({6}), time(22), time(2), UTC)  # Sunday 22:00 - Monday 02:00
    found = rule.expand(utc(0), utc(1))  # Monday only
    assert [(i.start, i.end) for i in found] == [(utc(-1, 22), utc(0, 2))]


def test_wall_clock_across_dst():
    rule = WeeklyPattern(frozenset({0, 1, 2, 3, 4, 5, 6}), time(9), time(17), NY)
    found = rule.expand(utc(-1, day0=SPRING), utc(2, day0=SPRING))
    assert [i.start.astimezone(NY).hour for i in found] == [9, 9, 9]
    assert [i.start.hour for i in found] == [14, 13, 13]  # EST then EDT


def test_validity_dates_are_inclusive():
    rule = WeeklyPattern(frozenset(range(7)), time(9), time(10), UTC,
                         valid_from=MONDAY + timedelta(days=1), valid_until=MONDAY + timedelta(days=2))
    found = rule.expand(utc(-2), utc(7))
    assert [i.start for i in found] == [utc(1, 9), utc(2, 9)]


def test_all_day_rule():
    rule = WeeklyPattern(frozenset({0}), time(0), time(0), UTC)
    found = rule.expand(utc(-2), utc(7))
    assert [(i.start, i.end) for i in found] == [(utc(0), utc(1))]


def test_an_occurrence_that_vanishes_in_a_dst_gap_is_not_an_empty_interval():
    rule = WeeklyPattern(frozenset(range(7)), time(2), time(3), NY)  # 02:00-03:00 does not exist on SPRING
    found = rule.expand(utc(0, day0=SPRING), utc(1, day0=SPRING))
    assert all(i.end > i.start for i in found)
    assert [i for i in found if i.start.astimezone(NY).date() == SPRING] == []


def test_an_occurrence_ending_where_the_range_starts_is_outside_it():
    rule = WeeklyPattern(frozenset(range(7)), time(9), time(10), UTC)
    assert rule.expand(utc(0, 10), utc(0, 12)) == []
    assert rule.expand(utc(0, 9, 59), utc(0, 12)) == [(utc(0, 9), utc(0, 10))]
    assert rule.expand(utc(0, 6), utc(0, 9)) == []  # one starting where the range ends is outside too
