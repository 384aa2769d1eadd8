"""The matcher's pure parts, by tables of cases."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slots.intervals import UTC, Interval, free_slots, interval, intersect, intersect_all, merge, slots, subtract

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
H = timedelta(hours=1)


def at(day: str, hm: str, tz=UTC) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


def iv(day: str, a: str, b: str, tz=UTC, end_day: str | None = None) -> Interval:
    return interval(at(day, a, tz), at(end_day or day, b, tz))


def local_starts(found, tz) -> list[str]:
    return [s.start.astimezone(tz).strftime("%m-%d %H:%M%z") for s in found]


D = "2027-05-03"


@pytest.mark.parametrize(
    "given, expected",
    [
        ([], []),
        ([iv(D, "09:00", "11:00"), iv(D, "11:00", "13:00")], [iv(D, "09:00", "13:00")]),  # touching merge
        ([iv(D, "09:00", "12:00"), iv(D, "10:00", "11:00")], [iv(D, "09:00", "12:00")]),  # contained
        ([iv(D, "10:00", "12:00"), iv(D, "09:00", "10:30")], [iv(D, "09:00", "12:00")]),  # unsorted overlap
        ([iv(D, "09:00", "10:00"), iv(D, "10:01", "11:00")], [iv(D, "09:00", "10:00"), iv(D, "10:01", "11:00")]),
    ],
)
def test_merge(given, expected):
    assert merge(given) == expected


@pytest.mark.parametrize(
    "free, busy, expected",
    [
        ([iv(D, "09:00", "17:00")], [], [iv(D, "09:00", "17:00")]),
        ([iv(D, "09:00", "17:00")], [iv(D, "12:00", "13:00")], [iv(D, "09:00", "12:00"), iv(D, "13:00", "17:00")]),
        ([iv(D, "09:00", "17:00")], [iv(D, "08:00", "10:00")], [iv(D, "10:00", "17:00")]),
        ([iv(D, "09:00", "17:00")], [iv(D, "16:00", "18:00")], [iv(D, "09:00", "16:00")]),
        ([iv(D, "09:00", "17:00")], [iv(D, "08:00", "18:00")], []),
        ([iv(D, "09:00", "10:00"), iv(D, "11:00", "12:00")], [iv(D, "09:30", "11:30")],
         [iv(D, "09:00", "09:30"), iv(D, "11:30", "12:00")]),
        ([iv(D, "09:00", "10:00")], [iv(D, "10:00", "11:00")], [iv(D, "09:00", "10:00")]),  # touching busy
    ],
)
def test_subtract(free, busy, expected):
    assert subtract(merge(free), merge(busy)) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([iv(D, "09:00", "12:00")], [iv(D, "11:00", "14:00")], [iv(D, "11:00", "12:00")]),
        ([iv(D, "09:00", "11:00")], [iv(D, "11:00", "13:00")], []),  # touching is not overlapping
        ([iv(D, "09:00", "17:00")], [iv(D, "10:00", "11:00"), iv(D, "13:00", "14:00")],
         [iv(D, "10:00", "11:00"), iv(D, "13:00", "14:00")]),
    ],
)
def test_intersect(a, b, expected):
    assert intersect(a, b) == expected
    assert intersect(b, a) == expected


def test_intersect_all_of_nothing_is_nothing():
    assert intersect_all([]) == []


def grid(free, tz=UTC, minutes=60, step=None, not_before=None):
    return slots(merge(free), duration=timedelta(minutes=minutes), step=timedelta(minutes=step or minutes),
                 tz=tz, not_before=not_before)


def test_brief_example_gives_exactly_one_slot():
    interviewer = [iv(D, "09:00", "12:00")]
    candidate = [iv(D, "11:00", "14:00")]
    found = free_slots([merge(interviewer), merge(candidate)], bounds=iv(D, "00:00", "23:00"),
                       duration=H, step=H, tz=UTC)
    assert found == [iv(D, "11:00", "12:00")]


@pytest.mark.parametrize(
    "schedules, minutes, step, expected_starts",
    [
        # touching windows of two people: no common time
        ([[iv(D, "09:00", "11:00")], [iv(D, "11:00", "13:00")]], 60, 60, []),
        # overlap shorter than the duration
        ([[iv(D, "09:00", "11:30")], [iv(D, "10:45", "13:00")]], 60, 60, []),
        # one person's overlapping and touching windows are one stretch: a slot straddles the seam
        ([[iv(D, "09:00", "10:30"), iv(D, "10:30", "12:00"), iv(D, "09:30", "10:00")], [iv(D, "08:00", "18:00")]],
         60, 30, ["05-03 09:00+0000", "05-03 09:30+0000", "05-03 10:00+0000", "05-03 10:30+0000", "05-03 11:00+0000"]),
        # several days
        ([[iv(D, "09:00", "11:00"), iv("2027-05-04", "09:00", "10:00")], [iv(D, "00:00", "23:00", end_day="2027-05-05")]],
         60, 60, ["05-03 09:00+0000", "05-03 10:00+0000", "05-04 09:00+0000"]),
        # a window crossing midnight
        ([[iv(D, "22:00", "02:00", end_day="2027-05-04")], [iv(D, "20:00", "04:00", end_day="2027-05-04")]],
         60, 60, ["05-03 22:00+0000", "05-03 23:00+0000", "05-04 00:00+0000", "05-04 01:00+0000"]),
        # a panel of three
        ([[iv(D, "08:00", "12:00")], [iv(D, "09:00", "13:00")], [iv(D, "10:00", "16:00")], [iv(D, "07:00", "11:30")]],
         60, 60, ["05-03 10:00+0000"]),
        # step smaller than duration
        ([[iv(D, "09:00", "11:00")], [iv(D, "09:00", "11:00")]], 60, 15,
         ["05-03 09:00+0000", "05-03 09:15+0000", "05-03 09:30+0000", "05-03 09:45+0000", "05-03 10:00+0000"]),
        # a window starting off the grid: slots start on the grid only
        ([[iv(D, "09:10", "12:00")], [iv(D, "09:00", "12:00")]], 60, 60, ["05-03 10:00+0000", "05-03 11:00+0000"]),
    ],
)
def test_slot_table(schedules, minutes, step, expected_starts):
    found = free_slots([merge(s) for s in schedules], bounds=iv("2027-05-01", "00:00", "00:00", end_day="2027-05-10"),
                       duration=timedelta(minutes=minutes), step=timedelta(minutes=step), tz=UTC)
    assert local_starts(found, UTC) == expected_starts
    assert all(s.end - s.start == timedelta(minutes=minutes) for s in found)


def test_spring_forward_skips_the_missing_hour():
    # 2027-03-14: New York clocks go from 02:00 EST to 03:00 EDT.
    free = [interval(at("2027-03-14", "00:00", NY), at("2027-03-14", "05:00", NY))]  # 4 real hours
    found = grid(free, tz=NY)
    assert local_starts(found, NY) == ["03-14 00:00-0500", "03-14 01:00-0500", "03-14 03:00-0400", "03-14 04:00-0400"]
    assert found[1].end == found[2].start  # 01:00 EST + 1h of real time is 03:00 EDT


def test_fall_back_repeats_the_hour():
    # 2027-11-07: New York clocks go from 02:00 EDT back to 01:00 EST.
    free = [interval(at("2027-11-07", "00:00", NY), at("2027-11-07", "03:00", NY))]  # 4 real hours
    found = grid(free, tz=NY)
    assert local_starts(found, NY) == ["11-07 00:00-0400", "11-07 01:00-0400", "11-07 01:00-0500", "11-07 02:00-0500"]
    assert all(s.end - s.start == H for s in found)


def test_fall_back_half_hour_grid_keeps_real_durations():
    free = [interval(at("2027-11-07", "01:00", NY), at("2027-11-07", "02:00", NY))]  # 01:00 EDT .. 02:00 EST: 2h
    found = grid(free, tz=NY, minutes=60, step=30)
    assert local_starts(found, NY) == ["11-07 01:00-0400", "11-07 01:30-0400", "11-07 01:00-0500"]


def test_half_hour_zone_lays_the_grid_on_local_hours():
    # Kolkata is UTC+05:30: slots start on :00 local, which is :30 UTC.
    free = [interval(at(D, "09:00", KOLKATA), at(D, "12:00", KOLKATA))]
    found = grid(free, tz=KOLKATA)
    assert local_starts(found, KOLKATA) == ["05-03 09:00+0530", "05-03 10:00+0530", "05-03 11:00+0530"]
    assert [s.start.astimezone(UTC).minute for s in found] == [30, 30, 30]
    assert local_starts(grid(free, tz=UTC), UTC) == ["05-03 04:00+0000", "05-03 05:00+0000"]


def test_not_before_drops_past_starts():
    free = [iv(D, "09:00", "13:00")]
    assert local_starts(grid(free, not_before=at(D, "10:30")), UTC) == ["05-03 11:00+0000", "05-03 12:00+0000"]


def test_step_that_does_not_divide_a_day_restarts_at_midnight():
    free = [iv(D, "00:00", "00:00", end_day="2027-05-05")]
    found = grid(free, minutes=60, step=420)  # 7 hours: 00, 07, 14, 21 each day
    assert local_starts(found, UTC)[:5] == ["05-03 00:00+0000", "05-03 07:00+0000", "05-03 14:00+0000",
                                             "05-03 21:00+0000", "05-04 00:00+0000"]


def test_interval_refuses_naive_and_empty():
    with pytest.raises(ValueError):
        interval(datetime(2027, 1, 1), datetime(2027, 1, 2))
    with pytest.raises(ValueError):
        interval(at(D, "10:00"), at(D, "10:00"))
