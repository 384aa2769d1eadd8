"""The matcher's pure parts, by tables of cases."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from slots.intervals import UTC, Interval, free_slots, interval, intersect, intersect_all, merge, slots, subtract
from tests import dates

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
H = timedelta(hours=1)


def at(day: date, hm: str, tz=UTC) -> datetime:
    return datetime.combine(day, time.fromisoformat(hm), tzinfo=tz)


def iv(day: date, a: str, b: str, tz=UTC, end_day: date | None = None) -> Interval:
    return interval(at(day, a, tz), at(end_day or day, b, tz))


# A Monday two weeks from today (the code under test is pure: any day without a DST change would do).
D = dates.monday(2)
D1, D2 = D + timedelta(days=1), D + timedelta(days=2)
# The next days on which New York's clocks go forward (02:00 EST -> 03:00 EDT) and back (02:00 EDT -> 01:00 EST).
SPRING = dates.next_dst_change(NY, forward=True)
FALL = dates.next_dst_change(NY, forward=False)


def local_starts(found, tz, day0: date = D) -> list[str]:
    """Slot starts as `d<days after day0> HH:MM+zzzz` in `tz`."""
    return [f"d{(s.start.astimezone(tz).date() - day0).days} {s.start.astimezone(tz):%H:%M%z}" for s in found]


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
        ([iv(D, "09:00", "10:00")], [iv(D, "08:00", "09:00")], [iv(D, "09:00", "10:00")]),  # touching busy before
        ([], [iv(D, "09:00", "10:00")], []),  # nothing free
        # two, three and four busy periods inside one free stretch: each one cuts
        ([iv(D, "09:00", "17:00")], [iv(D, "10:00", "11:00"), iv(D, "13:00", "14:00")],
         [iv(D, "09:00", "10:00"), iv(D, "11:00", "13:00"), iv(D, "14:00", "17:00")]),
        ([iv(D, "09:00", "17:00")], [iv(D, "10:00", "11:00"), iv(D, "12:00", "13:00"), iv(D, "14:00", "15:00")],
         [iv(D, "09:00", "10:00"), iv(D, "11:00", "12:00"), iv(D, "13:00", "14:00"), iv(D, "15:00", "17:00")]),
        ([iv(D, "09:00", "17:00")],
         [iv(D, "09:00", "09:30"), iv(D, "10:00", "11:00"), iv(D, "12:00", "13:00"), iv(D, "16:00", "17:00")],
         [iv(D, "09:30", "10:00"), iv(D, "11:00", "12:00"), iv(D, "13:00", "16:00")]),
        # busy periods overhanging both ends, with one in the middle
        ([iv(D, "09:00", "17:00")], [iv(D, "08:00", "10:00"), iv(D, "12:00", "13:00"), iv(D, "16:00", "18:00")],
         [iv(D, "10:00", "12:00"), iv(D, "13:00", "16:00")]),
        # one busy period spanning two free stretches, then two more inside the second one
        ([iv(D, "09:00", "11:00"), iv(D, "12:00", "18:00")],
         [iv(D, "10:00", "13:00"), iv(D, "14:00", "15:00"), iv(D, "16:00", "17:00")],
         [iv(D, "09:00", "10:00"), iv(D, "13:00", "14:00"), iv(D, "15:00", "16:00"), iv(D, "17:00", "18:00")]),
        # busy periods before, between and after free stretches, touching none of them
        ([iv(D, "09:00", "10:00"), iv(D, "12:00", "13:00")],
         [iv(D, "07:00", "08:00"), iv(D, "10:30", "11:30"), iv(D, "14:00", "15:00")],
         [iv(D, "09:00", "10:00"), iv(D, "12:00", "13:00")]),
        # several free stretches inside one busy period, and one after it
        ([iv(D, "09:00", "10:00"), iv(D, "11:00", "12:00"), iv(D, "13:00", "14:00"), iv(D, "15:00", "16:00")],
         [iv(D, "08:00", "14:30")], [iv(D, "15:00", "16:00")]),
        # busy periods ending exactly where a free stretch starts and starting exactly where one ends
        ([iv(D, "09:00", "10:00"), iv(D, "11:00", "12:00")], [iv(D, "08:00", "09:00"), iv(D, "10:00", "11:00")],
         [iv(D, "09:00", "10:00"), iv(D, "11:00", "12:00")]),
        # across midnight, with a busy period on each side of it
        ([iv(D, "20:00", "04:00", end_day=D1)], [iv(D, "22:00", "23:00"), iv(D1, "01:00", "02:00")],
         [iv(D, "20:00", "22:00"), iv(D, "23:00", "01:00", end_day=D1), iv(D1, "02:00", "04:00")]),
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
         60, 30, ["d0 09:00+0000", "d0 09:30+0000", "d0 10:00+0000", "d0 10:30+0000", "d0 11:00+0000"]),
        # several days
        ([[iv(D, "09:00", "11:00"), iv(D1, "09:00", "10:00")], [iv(D, "00:00", "23:00", end_day=D2)]],
         60, 60, ["d0 09:00+0000", "d0 10:00+0000", "d1 09:00+0000"]),
        # a window crossing midnight
        ([[iv(D, "22:00", "02:00", end_day=D1)], [iv(D, "20:00", "04:00", end_day=D1)]],
         60, 60, ["d0 22:00+0000", "d0 23:00+0000", "d1 00:00+0000", "d1 01:00+0000"]),
        # a panel of three
        ([[iv(D, "08:00", "12:00")], [iv(D, "09:00", "13:00")], [iv(D, "10:00", "16:00")], [iv(D, "07:00", "11:30")]],
         60, 60, ["d0 10:00+0000"]),
        # step smaller than duration
        ([[iv(D, "09:00", "11:00")], [iv(D, "09:00", "11:00")]], 60, 15,
         ["d0 09:00+0000", "d0 09:15+0000", "d0 09:30+0000", "d0 09:45+0000", "d0 10:00+0000"]),
        # a window starting off the grid: slots start on the grid only
        ([[iv(D, "09:10", "12:00")], [iv(D, "09:00", "12:00")]], 60, 60, ["d0 10:00+0000", "d0 11:00+0000"]),
    ],
)
def test_slot_table(schedules, minutes, step, expected_starts):
    found = free_slots([merge(s) for s in schedules], bounds=iv(D - timedelta(days=2), "00:00", "00:00", end_day=D + timedelta(days=7)),
                       duration=timedelta(minutes=minutes), step=timedelta(minutes=step), tz=UTC)
    assert local_starts(found, UTC) == expected_starts
    assert all(s.end - s.start == timedelta(minutes=minutes) for s in found)


def test_spring_forward_skips_the_missing_hour():
    free = [interval(at(SPRING, "00:00", NY), at(SPRING, "05:00", NY))]  # 4 real hours
    found = grid(free, tz=NY)
    assert local_starts(found, NY, SPRING) == ["d0 00:00-0500", "d0 01:00-0500", "d0 03:00-0400", "d0 04:00-0400"]
    assert found[1].end == found[2].start  # 01:00 EST + 1h of real time is 03:00 EDT


def test_fall_back_repeats_the_hour():
    free = [interval(at(FALL, "00:00", NY), at(FALL, "03:00", NY))]  # 4 real hours
    found = grid(free, tz=NY)
    assert local_starts(found, NY, FALL) == ["d0 00:00-0400", "d0 01:00-0400", "d0 01:00-0500", "d0 02:00-0500"]
    assert all(s.end - s.start == H for s in found)


def test_fall_back_half_hour_grid_keeps_real_durations():
    free = [interval(at(FALL, "01:00", NY), at(FALL, "02:00", NY))]  # 01:00 EDT .. 02:00 EST: 2h
    found = grid(free, tz=NY, minutes=60, step=30)
    assert local_starts(found, NY, FALL) == ["d0 01:00-0400", "d0 01:30-0400", "d0 01:00-0500"]


def test_half_hour_zone_lays_the_grid_on_local_hours():
    # Kolkata is UTC+05:30: slots start on :00 local, which is :30 UTC.
    free = [interval(at(D, "09:00", KOLKATA), at(D, "12:00", KOLKATA))]
    found = grid(free, tz=KOLKATA)
    assert local_starts(found, KOLKATA) == ["d0 09:00+0530", "d0 10:00+0530", "d0 11:00+0530"]
    assert [s.start.astimezone(UTC).minute for s in found] == [30, 30, 30]
    assert local_starts(grid(free, tz=UTC), UTC) == ["d0 04:00+0000", "d0 05:00+0000"]


def test_not_before_drops_past_starts():
    free = [iv(D, "09:00", "13:00")]
    assert local_starts(grid(free, not_before=at(D, "10:30")), UTC) == ["d0 11:00+0000", "d0 12:00+0000"]


def test_step_that_does_not_divide_a_day_restarts_at_midnight():
    free = [iv(D, "00:00", "00:00", end_day=D2)]
    found = grid(free, minutes=60, step=420)  # 7 hours: 00, 07, 14, 21 each day
    assert local_starts(found, UTC)[:5] == ["d0 00:00+0000", "d0 07:00+0000", "d0 14:00+0000",
                                             "d0 21:00+0000", "d1 00:00+0000"]


def test_interval_refuses_naive_and_empty():
    with pytest.raises(ValueError):
        interval(datetime.combine(D, datetime.min.time()), datetime.combine(D1, datetime.min.time()))
    with pytest.raises(ValueError):
        interval(at(D, "10:00"), at(D, "10:00"))


def test_interval_refuses_either_end_naive_with_a_message():
    aware, naive = at(D, "10:00"), datetime.combine(D, time(11))
    with pytest.raises(ValueError, match="^interval ends must be timezone-aware$"):
        interval(naive, at(D, "11:00"))
    with pytest.raises(ValueError, match="^interval ends must be timezone-aware$"):
        interval(aware, naive)
    with pytest.raises(ValueError, match="^an interval must end after it starts$"):
        interval(at(D, "11:00"), aware)


def test_interval_is_in_utc_itself():
    found = interval(at(D, "09:00", KOLKATA), at(D, "10:00", NY))
    assert found.start.tzinfo is UTC and found.end.tzinfo is UTC
    assert found == Interval(at(D, "03:30"), at(D, "14:00") if NY.utcoffset(at(D, "10:00", NY)) == -4 * H
                             else at(D, "15:00"))


def test_contains_is_inclusive_at_both_ends():
    outer = iv(D, "09:00", "12:00")
    assert outer.contains(outer)
    assert outer.contains(iv(D, "10:00", "11:00"))
    assert not outer.contains(iv(D, "08:59", "10:00"))
    assert not outer.contains(iv(D, "11:00", "12:01"))


def test_merge_drops_empty_intervals():
    empty = Interval(at(D, "10:00"), at(D, "10:00"))
    assert merge([empty]) == []
    assert merge([empty, iv(D, "11:00", "12:00")]) == [iv(D, "11:00", "12:00")]


@pytest.mark.parametrize("minutes, step", [(0, 60), (60, 0), (-60, 60), (60, -60), (0, 0)])
def test_slots_refuse_a_duration_or_step_that_is_not_positive(minutes, step):
    with pytest.raises(ValueError, match="^duration and step must be positive$"):
        slots([iv(D, "09:00", "12:00")], duration=timedelta(minutes=minutes), step=timedelta(minutes=step), tz=UTC)


# Zones whose clocks change at local midnight: the day starts at 01:00 or midnight comes twice. Each is checked
# over the three days around its next change (either way) against the brute-force reference.
MIDNIGHT_CHANGES = [
    (zone, forward) for zone in ("America/Santiago", "America/Havana", "Asia/Beirut")
    for forward in (True, False)
]


@pytest.mark.parametrize("zone, forward", MIDNIGHT_CHANGES)
@pytest.mark.parametrize("minutes, step", [(60, 60), (30, 30), (60, 420), (45, 15)])
def test_grid_on_days_whose_clocks_change_at_midnight(zone, forward, minutes, step):
    from tests.slots.test_intervals_properties import reference

    tz = ZoneInfo(zone)
    try:
        change = dates.next_dst_change(tz, forward=forward)
    except LookupError:
        pytest.skip(f"{zone} no longer changes its clocks")
    bounds = interval(dates.at(change - timedelta(days=1), tz=tz), dates.at(change + timedelta(days=2), tz=tz))
    found = free_slots([[bounds]], bounds=bounds, duration=timedelta(minutes=minutes),
                       step=timedelta(minutes=step), tz=tz)
    expected = reference([[bounds]], bounds, timedelta(minutes=minutes), timedelta(minutes=step), tz, bounds.start)
    assert found == expected


@pytest.fixture(params=["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def process_zone(request, monkeypatch):
    """The process's own local time far from UTC: the code must never use it (astimezone() without a zone)."""
    import time as time_module

    monkeypatch.setenv("TZ", request.param)
    time_module.tzset()
    yield request.param
    monkeypatch.undo()
    time_module.tzset()


@pytest.mark.parametrize("tz", [UTC, KOLKATA, NY, ZoneInfo("Pacific/Pago_Pago"), ZoneInfo("Pacific/Kiritimati")])
def test_nothing_depends_on_the_process_local_zone(process_zone, tz):
    from slots.weekly import WeeklyPattern
    from tests.slots.test_intervals_properties import reference

    bounds = interval(dates.at(D, 0, tz=tz), dates.at(D + timedelta(days=2), 0, tz=tz))
    free = [interval(dates.at(D, 9, tz=tz), dates.at(D, 17, tz=tz)),
            interval(dates.at(D1, 22, tz=tz), dates.at(D2, 2, tz=tz))]
    found = free_slots([free], bounds=bounds, duration=H, step=H, tz=tz)
    assert found == reference([free], bounds, H, H, tz, bounds.start)
    assert all(s.start.tzinfo is UTC for s in found)
    # a weekly rule in `tz`, asked about one day of it: that day's occurrence only, in UTC
    rule = WeeklyPattern(frozenset(range(7)), time(9), time(10), tz)
    day = rule.expand(dates.at(D1, 0, tz=tz), dates.at(D2, 0, tz=tz))
    assert day == [interval(dates.at(D1, 9, tz=tz), dates.at(D1, 10, tz=tz))]
    assert day[0].start.tzinfo is UTC
    # yesterday's occurrence of a rule crossing midnight runs into the day asked about
    late = WeeklyPattern(frozenset(range(7)), time(22), time(2), tz)
    assert late.expand(dates.at(D1, 0, tz=tz), dates.at(D1, 1, tz=tz)) == [
        interval(dates.at(D, 22, tz=tz), dates.at(D1, 2, tz=tz))]


def test_the_grid_is_laid_by_arithmetic_except_on_dst_days(monkeypatch):
    """The fast path (one UTC offset all day) is taken on ordinary days; wall-clock conversion only on DST days."""
    import slots.intervals as intervals

    calls = []

    def counting(wall, tz):
        calls.append(wall)
        return wall_to_instants(wall, tz)

    wall_to_instants = intervals.wall_to_instants
    monkeypatch.setattr(intervals, "wall_to_instants", counting)
    zones = (UTC, NY, KOLKATA, ZoneInfo("Australia/Lord_Howe"))
    day = dates.without_dst_change(*zones, days=4) + timedelta(days=1)  # the grid looks at the day around too
    for tz in zones:
        ordinary = [interval(dates.at(day, 0, tz=tz), dates.at(day + timedelta(days=2), 0, tz=tz))]
        assert len(grid(ordinary, tz=tz)) == 48
    assert calls == []
    spring = [interval(dates.at(SPRING, 0, tz=NY), dates.at(SPRING + timedelta(days=1), 0, tz=NY))]
    assert len(grid(spring, tz=NY)) == 23
    assert calls


def test_a_dst_change_day_walks_its_grid_near_the_stretch_only(monkeypatch):
    """On a day whose offset changes, the grid is walked by wall time; only its points within the DST margin of
    the stretch are looked at (before: every point of the day, for every stretch that day)."""
    import slots.intervals as intervals

    looked_at = []
    real = intervals.wall_to_instants
    monkeypatch.setattr(intervals, "wall_to_instants", lambda wall, tz: looked_at.append(wall) or real(wall, tz))
    day = dates.next_dst_change("America/New_York", forward=False)
    start = dates.at(day, 14, tz="America/New_York")  # the afternoon of the day the clocks go back
    found = slots([Interval(start, start + timedelta(hours=1))], duration=timedelta(minutes=15),
                  step=timedelta(minutes=5), tz=ZoneInfo("America/New_York"))
    assert [s.start for s in found] == [start + timedelta(minutes=5 * k) for k in range(10)]
    assert len(looked_at) <= (60 + 2 * 180) // 5 + 1  # the hour and 3 hours either side, not the day's 288 points
