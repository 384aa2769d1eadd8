"""K of a pool free besides a panel: tables of cases, and a property against a brute-force reference."""

from datetime import datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import dates
from slots.intervals import UTC, Interval, interval, merge
from slots.pools import at_least, pool_slots

KOLKATA = ZoneInfo("Asia/Kolkata")
NY = ZoneInfo("America/New_York")
D = dates.monday(2).isoformat()  # a Monday two weeks ahead, whatever today is


def at(day: str, hm: str, tz=UTC) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


def iv(a: str, b: str, day: str = D, tz=UTC) -> Interval:
    return interval(at(day, a, tz), at(day, b, tz))


@pytest.mark.parametrize(
    "schedules, k, expected",
    [
        ([], 1, []),
        ([[iv("09:00", "12:00")], [iv("11:00", "14:00")]], 1, [iv("09:00", "14:00")]),
        ([[iv("09:00", "12:00")], [iv("11:00", "14:00")]], 2, [iv("11:00", "12:00")]),
        ([[iv("09:00", "12:00")], [iv("11:00", "14:00")]], 3, []),
        ([[iv("09:00", "11:00")], [iv("11:00", "13:00")]], 1, [iv("09:00", "13:00")]),  # touching: one stretch
        ([[iv("09:00", "11:00")], [iv("11:00", "13:00")]], 2, []),  # touching is not overlapping
        ([[iv("09:00", "17:00")], [iv("10:00", "11:00"), iv("13:00", "15:00")], [iv("10:30", "14:00")]], 2,
         [iv("10:00", "15:00")]),
        ([[iv("09:00", "17:00")], [iv("10:00", "11:00"), iv("13:00", "15:00")], [iv("10:30", "14:00")]], 3,
         [iv("10:30", "11:00"), iv("13:00", "14:00")]),
    ],
)
def test_at_least(schedules, k, expected):
    assert at_least([merge(s) for s in schedules], k) == expected


def test_at_least_refuses_zero():
    with pytest.raises(ValueError):
        at_least([], 0)


def run(required, pool, k, *, minutes=60, step=60, tz=UTC, not_before=None, day=D):
    return pool_slots([merge(r) for r in required], {pk: merge(v) for pk, v in pool.items()}, k,
                      bounds=Interval(at(day, "00:00", tz), at(day, "00:00", tz) + timedelta(days=1)),
                      duration=timedelta(minutes=minutes), step=timedelta(minutes=step), tz=tz, not_before=not_before)


def starts(found, tz=UTC):
    return [(slot.start.astimezone(tz).strftime("%H:%M%z"), available) for slot, available in found]


def test_no_pool_is_the_plain_matcher():
    found = run([[iv("09:00", "12:00")], [iv("10:00", "14:00")]], {}, 0)
    assert starts(found) == [("10:00+0000", []), ("11:00+0000", [])]


def test_one_of_a_pool_lists_who_is_free_sorted_by_id():
    candidate = [iv("09:00", "13:00")]
    pool = {7: [iv("09:00", "11:00")], 3: [iv("10:00", "12:00")], 5: [iv("12:00", "13:00")]}
    assert starts(run([candidate], pool, 1)) == [
        ("09:00+0000", [7]), ("10:00+0000", [3, 7]), ("11:00+0000", [3]), ("12:00+0000", [5])]


def test_two_of_a_pool():
    candidate = [iv("09:00", "13:00")]
    pool = {7: [iv("09:00", "11:00")], 3: [iv("10:00", "12:00")], 5: [iv("10:00", "13:00")]}
    assert starts(run([candidate], pool, 2)) == [("10:00+0000", [3, 5, 7]), ("11:00+0000", [3, 5])]


def test_members_taking_turns_inside_a_slot_do_not_make_it():
    # 1 is free 09:00-09:30 and 2 from 09:30: "one of them" covers 09:00-10:00, but nobody is free for all of it
    pool = {1: [iv("09:00", "09:30")], 2: [iv("09:30", "11:00")]}
    assert starts(run([[iv("09:00", "11:00")]], pool, 1, minutes=60, step=30)) == [
        ("09:30+0000", [2]), ("10:00+0000", [2])]


def test_panel_and_pool_together_in_kolkata():
    panel = [iv("09:00", "12:00", tz=KOLKATA)]
    candidate = [iv("09:30", "13:00", tz=KOLKATA)]
    pool = {4: [iv("09:00", "11:30", tz=KOLKATA)], 9: [iv("10:30", "12:00", tz=KOLKATA)]}
    found = run([panel, candidate], pool, 1, minutes=60, step=30, tz=KOLKATA)
    assert starts(found, KOLKATA) == [("09:30+0530", [4]), ("10:00+0530", [4]), ("10:30+0530", [4, 9]),
                                      ("11:00+0530", [9])]


def test_pool_on_the_spring_forward_day():
    # the next spring-forward day in New York: 02:00 does not exist; the grid skips it, durations stay real.
    day = dates.next_dst_change(NY, forward=True).isoformat()
    everyone = [interval(at(day, "00:00", NY), at(day, "05:00", NY))]
    pool = {1: everyone, 2: [interval(at(day, "03:00", NY), at(day, "05:00", NY))]}
    found = run([everyone], pool, 2, tz=NY, day=day)
    assert starts(found, NY) == [("03:00-0400", [1, 2]), ("04:00-0400", [1, 2])]
    found = run([everyone], pool, 1, tz=NY, day=day)
    assert starts(found, NY)[:3] == [("00:00-0500", [1]), ("01:00-0500", [1]), ("03:00-0400", [1, 2])]


def test_first_only_stops_at_the_first():
    found = pool_slots([[iv("09:00", "17:00")]], {1: [iv("09:00", "17:00")]}, 1,
                       bounds=iv("00:00", "23:00"), duration=timedelta(hours=1), step=timedelta(hours=1), tz=UTC,
                       first_only=True)
    assert starts(found) == [("09:00+0000", [1])]


ORIGIN = dates.at(dates.next_dst_change(NY, forward=False) - timedelta(days=1))  # New York falls back the next day


def person():
    window = st.tuples(st.integers(0, 2 * 24 * 12), st.integers(1, 8 * 12)).map(
        lambda t: Interval(ORIGIN + timedelta(minutes=5 * t[0]), ORIGIN + timedelta(minutes=5 * (t[0] + t[1]))))
    return st.lists(window, max_size=4).map(merge)


def fits(slot, schedule):
    return any(i.start <= slot.start and slot.end <= i.end for i in schedule)


@settings(max_examples=60, deadline=None)
@given(required=st.lists(person(), min_size=1, max_size=2), pool=st.lists(person(), min_size=1, max_size=4),
       k=st.integers(1, 3), duration=st.sampled_from([30, 60, 90]), step=st.sampled_from([15, 30, 60]),
       zone=st.sampled_from([UTC, NY, KOLKATA]))
def test_pool_slots_agree_with_brute_force(required, pool, k, duration, step, zone):
    members = {10 + i: p for i, p in enumerate(pool)}
    bounds = Interval(ORIGIN, ORIGIN + timedelta(days=2))
    found = pool_slots(required, members, k, bounds=bounds, duration=timedelta(minutes=duration),
                       step=timedelta(minutes=step), tz=zone)
    expected = []
    t = bounds.start
    while t + timedelta(minutes=duration) <= bounds.end:
        local = t.astimezone(zone)
        slot = Interval(t, t + timedelta(minutes=duration))
        if (local.hour * 60 + local.minute) % step == 0 and all(fits(slot, r) for r in required):
            free = [pk for pk, p in sorted(members.items()) if fits(slot, p)]
            if len(free) >= k and any(all(fits(slot, members[pk]) for pk in combo)
                                      for combo in combinations(free, k)):
                expected.append((slot, free))
        t += timedelta(minutes=5)
    assert found == expected
