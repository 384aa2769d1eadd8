from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from slots.intervals import UTC, Interval
from slots.policy import Policy, apply_policy
from tests import dates

M = timedelta(minutes=1)


D = dates.monday(2)


def t(h, m=0, day=3):
    """`day` 3 is D (a Monday two weeks from today), 2 the day before, and so on; hour:minute UTC."""
    return dates.at(D + timedelta(days=day - 3), h, m, UTC)


FREE = [Interval(t(8), t(18))]
ONE_INTERVIEW = [Interval(t(12), t(13))]


@pytest.mark.parametrize(
    "policy, interviews, now, expected",
    [
        (Policy(), ONE_INTERVIEW, None, FREE),
        (Policy(buffer_before=15 * M), ONE_INTERVIEW, None, [Interval(t(8), t(11, 45)), Interval(t(13, 15), t(18))]),
        (Policy(buffer_before=15 * M, buffer_after=30 * M), ONE_INTERVIEW, None,
         [Interval(t(8), t(11, 30)), Interval(t(13, 30), t(18))]),
        (Policy(max_per_day=1), ONE_INTERVIEW, None, []),
        (Policy(max_per_day=2), ONE_INTERVIEW, None, FREE),
        (Policy(min_notice=60 * M), [], t(9, 30), [Interval(t(10, 30), t(18))]),
        # the per-day limit counts the interviewer's local day (Kolkata's day 3 is day 2 18:30 to day 3 18:30 UTC):
        # 23:30 UTC on the 2nd is the 3rd there, so the whole of FREE is taken ...
        (Policy(max_per_day=1, tz=ZoneInfo("Asia/Kolkata")), [Interval(t(23, 30, day=2), t(23, 45, day=2))], None, []),
        # ... while 17:00 UTC on the 2nd is still the 2nd there, and FREE is untouched
        (Policy(max_per_day=1, tz=ZoneInfo("Asia/Kolkata")), [Interval(t(17, day=2), t(17, 30, day=2))], None, FREE),
    ],
)
def test_policy_table(policy, interviews, now, expected):
    assert apply_policy(FREE, policy, interviews, now) == expected


NY = ZoneInfo("America/New_York")
FALL = dates.next_dst_change(NY, forward=False)  # a 25-hour local day in New York


def ny(h, m=0, day=FALL):
    return dates.at(day, h, m, NY)


@pytest.mark.parametrize(
    "free, policy, interviews, now, expected",
    [
        # two interviews inside one free stretch: each one's buffers are taken
        (FREE, Policy(buffer_before=15 * M), [Interval(t(10), t(11)), Interval(t(14), t(15))], None,
         [Interval(t(8), t(9, 45)), Interval(t(11, 15), t(13, 45)), Interval(t(15, 15), t(18))]),
        # three interviews, the larger buffer (after) is the spacing on both sides
        (FREE, Policy(buffer_before=10 * M, buffer_after=20 * M),
         [Interval(t(9), t(10)), Interval(t(12), t(13)), Interval(t(15), t(16))], None,
         [Interval(t(8), t(8, 40)), Interval(t(10, 20), t(11, 40)), Interval(t(13, 20), t(14, 40)),
          Interval(t(16, 20), t(18))]),
        # buffers of two close interviews overlap each other: one busy stretch
        (FREE, Policy(buffer_after=30 * M), [Interval(t(10), t(11)), Interval(t(11, 30), t(12))], None,
         [Interval(t(8), t(9, 30)), Interval(t(12, 30), t(18))]),
        # interviews outside the free time still push their buffers into it
        (FREE, Policy(buffer_before=60 * M), [Interval(t(6), t(7, 30)), Interval(t(18, 30), t(19))], None,
         [Interval(t(8, 30), t(17, 30))]),
        # max per day counts each day on its own: two interviews on day 3 fill it, one on day 4 does not
        ([Interval(t(8), t(18)), Interval(t(8, day=4), t(18, day=4))], Policy(max_per_day=2),
         [Interval(t(9), t(10)), Interval(t(16), t(17)), Interval(t(9, day=4), t(10, day=4))], None,
         [Interval(t(8, day=4), t(18, day=4))]),
        # a full day takes all of that day, exactly, and nothing of the days around it
        ([Interval(t(20, day=2), t(4, day=4))], Policy(max_per_day=1), [Interval(t(12), t(13))], None,
         [Interval(t(20, day=2), t(0)), Interval(t(0, day=4), t(4, day=4))]),
        # New York's fall-back day is 25 hours long: all of it is taken, 04:00 UTC to 05:00 UTC the next day
        ([Interval(ny(0) - 2 * 60 * M, ny(0, day=FALL + timedelta(days=1)) + 2 * 60 * M)],
         Policy(max_per_day=1, tz=NY), [Interval(ny(9), ny(10))], None,
         [Interval(ny(0) - 2 * 60 * M, ny(0)), Interval(ny(0, day=FALL + timedelta(days=1)),
                                                         ny(0, day=FALL + timedelta(days=1)) + 2 * 60 * M)]),
        # minimum notice with buffers and several stretches: both apply
        ([Interval(t(8), t(10)), Interval(t(11), t(18))], Policy(min_notice=120 * M, buffer_after=30 * M),
         [Interval(t(14), t(15))], t(8, 30), [Interval(t(11), t(13, 30)), Interval(t(15, 30), t(18))]),
        # minimum notice needs a "now": without one nothing is taken for it
        (FREE, Policy(min_notice=120 * M), [], None, FREE),
        # now long before the free time: notice takes nothing
        (FREE, Policy(min_notice=60 * M), [], t(1), FREE),
        # now after the free time: notice takes everything
        (FREE, Policy(min_notice=60 * M), [], t(17, 30), []),
        # no free time stays none
        ([], Policy(buffer_before=15 * M, max_per_day=1, min_notice=60 * M), [Interval(t(12), t(13))], t(9), []),
    ],
)
def test_policy_on_several_interviews_and_stretches(free, policy, interviews, now, expected):
    assert apply_policy(free, policy, interviews, now) == expected
