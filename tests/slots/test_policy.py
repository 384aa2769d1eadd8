from datetime import datetime, timedelta
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
