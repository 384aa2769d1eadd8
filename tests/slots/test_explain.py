"""Why a slot search is empty: the four codes in their order, and who is named. Pure: tables of cases."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slots.explain import CODES, Search, explain
from tests import dates
from slots.intervals import UTC, Interval, clip, interval, merge
from slots.policy import Policy, apply_policy
from slots.pools import pool_slots

KOLKATA = ZoneInfo("Asia/Kolkata")
D = dates.monday(2).isoformat()  # a Monday two weeks ahead, whatever today is
C, A, B, P1, P2 = 1, 2, 3, 11, 12  # candidate, two interviewers, two pool members


def at(hm: str, tz=UTC, day: str = D) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


def iv(a: str, b: str, tz=UTC) -> Interval:
    return interval(at(a, tz), at(b, tz))


def search(required=(C, A), pool=(), pool_size=0, minutes=60, step=60, tz=UTC, not_before=None):
    return Search(required=tuple(required), pool=tuple(pool), pool_size=pool_size,
                  duration=timedelta(minutes=minutes), step=timedelta(minutes=step), tz=tz,
                  bounds=Interval(at("00:00", tz), at("00:00", tz) + timedelta(days=1)), not_before=not_before)


def why(s: Search, schedules: dict, policies: dict | None = None):
    before = {pk: merge(schedules.get(pk, [])) for pk in s.people}
    free = dict(before)
    for pk, (policy, interviews) in (policies or {}).items():
        free[pk] = apply_policy(before[pk], policy, interviews, None)
    found = explain(s, before_policy=before, free=free)
    return None if found is None else (found.code, found.users)


def test_a_slot_means_no_explanation():
    assert why(search(), {C: [iv("09:00", "12:00")], A: [iv("10:00", "12:00")]}) is None


@pytest.mark.parametrize(
    "schedules, expected",
    [
        # nobody has time: everyone is named
        ({}, ("no_free_time", (C, A))),
        # only the interviewer has none
        ({C: [iv("09:00", "12:00")]}, ("no_free_time", (A,))),
        # both have time, never at once
        ({C: [iv("09:00", "10:00")], A: [iv("10:00", "12:00")]}, ("no_common_time", (C, A))),
        # they meet for 30 minutes only
        ({C: [iv("09:00", "10:30")], A: [iv("10:00", "12:00")]}, ("too_short", (C, A))),
        # a long enough stretch, but off the hour grid: no start fits
        ({C: [iv("09:10", "10:50")], A: [iv("09:00", "12:00")]}, ("too_short", (C,))),
    ],
)
def test_codes_for_a_candidate_and_one_interviewer(schedules, expected):
    assert why(search(), schedules) == expected


def test_no_common_time_names_the_one_who_does_not_meet_the_others():
    schedules = {C: [iv("09:00", "12:00")], A: [iv("09:00", "11:00")], B: [iv("14:00", "16:00")]}
    assert why(search(required=(C, A, B)), schedules) == ("no_common_time", (B,))


def test_too_short_names_the_one_who_cuts_it_short():
    schedules = {C: [iv("09:00", "12:00")], A: [iv("09:00", "12:00")], B: [iv("10:00", "10:45")]}
    assert why(search(required=(C, A, B)), schedules) == ("too_short", (B,))


def test_no_free_time_comes_first():
    # B has nothing; A and C never meet either: the first code that holds wins
    schedules = {C: [iv("09:00", "10:00")], A: [iv("11:00", "12:00")]}
    assert why(search(required=(C, A, B)), schedules) == ("no_free_time", (B,))


def test_time_in_the_past_is_no_free_time():
    schedules = {C: [iv("09:00", "12:00")], A: [iv("09:00", "12:00")]}
    assert why(search(not_before=at("13:00")), schedules) == ("no_free_time", (C, A))


def test_policy_names_the_interviewer_whose_policy_removes_the_slots():
    schedules = {C: [iv("09:00", "11:00")], A: [iv("09:00", "11:00")], B: [iv("09:00", "12:00")]}
    # B has an interview at 11:00 and wants 60 minutes around interviews: 10:00-11:00 goes, and 09:00 too
    buffer = Policy(buffer_before=timedelta(hours=2))
    found = why(search(required=(C, A, B)), schedules, {B: (buffer, [iv("11:00", "12:00")])})
    assert found == ("policy", (B,))


def test_policy_daily_cap_in_kolkata():
    schedules = {C: [iv("09:00", "12:00", KOLKATA)], A: [iv("09:00", "12:00", KOLKATA)]}
    cap = Policy(max_per_day=1, tz=KOLKATA)
    found = why(search(tz=KOLKATA), schedules, {A: (cap, [iv("18:00", "19:00", KOLKATA)])})
    assert found == ("policy", (A,))


def test_policy_when_two_policies_together_remove_everything():
    schedules = {C: [iv("09:00", "12:00")], A: [iv("09:00", "12:00")], B: [iv("09:00", "12:00")]}
    policies = {A: (Policy(buffer_before=timedelta(hours=2)), [iv("12:00", "13:00")]),   # A: free 09:00-10:00
                B: (Policy(buffer_before=timedelta(hours=2)), [iv("08:00", "09:00")])}   # B: free 11:00-12:00
    assert why(search(required=(C, A, B)), schedules, policies) == ("policy", (A, B))


@pytest.mark.parametrize(
    "pool_schedules, pool_size, expected",
    [
        # nobody in the pool has any time: the members are named
        ({}, 1, ("no_free_time", (P1, P2))),
        # one member has time but two are wanted: the one without is named
        ({P1: [iv("09:00", "12:00")]}, 2, ("no_free_time", (P2,))),
        # both have time but not together, when two are wanted: the pool blocks
        ({P1: [iv("09:00", "10:00")], P2: [iv("10:00", "11:00")]}, 2, ("no_common_time", (P1, P2))),
        # one of them is free only briefly while the panel is
        ({P1: [iv("09:00", "09:30")], P2: [iv("13:00", "14:00")]}, 1, ("too_short", (P1, P2))),
    ],
)
def test_pool_codes(pool_schedules, pool_size, expected):
    schedules = {C: [iv("09:00", "12:00")], A: [iv("09:00", "12:00")], **pool_schedules}
    assert why(search(pool=(P1, P2), pool_size=pool_size), schedules) == expected


def test_pool_member_without_time_is_not_named_when_enough_others_have_some():
    schedules = {C: [iv("09:00", "10:00")], A: [iv("10:00", "12:00")], P1: [iv("09:00", "12:00")]}
    assert why(search(pool=(P1, P2), pool_size=1), schedules) == ("no_common_time", (C, A))


ORIGIN = dates.at(dates.monday(2))


def person():
    window = st.tuples(st.integers(0, 24 * 4), st.integers(1, 16)).map(
        lambda t: Interval(ORIGIN + timedelta(minutes=15 * t[0]), ORIGIN + timedelta(minutes=15 * (t[0] + t[1]))))
    return st.lists(window, max_size=3).map(merge)


@settings(max_examples=80, deadline=None)
@given(people=st.lists(person(), min_size=2, max_size=4), buffer=st.sampled_from([0, 30, 120]),
       booked=st.lists(st.integers(0, 23), max_size=2), duration=st.sampled_from([30, 60, 120]),
       pooled=st.booleans())
def test_an_explanation_exactly_when_there_is_no_slot(people, buffer, booked, duration, pooled):
    ids = list(range(1, len(people) + 1))
    required, pool = (ids[:2], ids[2:]) if pooled else (ids, [])
    s = Search(required=tuple(required), pool=tuple(pool), pool_size=1 if pool else 0,
               duration=timedelta(minutes=duration), step=timedelta(minutes=30), tz=UTC,
               bounds=Interval(ORIGIN, ORIGIN + timedelta(days=1)))
    before = dict(zip(ids, people))
    interviews = [Interval(ORIGIN + timedelta(hours=h), ORIGIN + timedelta(hours=h, minutes=30)) for h in booked]
    free = {pk: apply_policy(before[pk], Policy(buffer_after=timedelta(minutes=buffer)), interviews, None)
            for pk in ids}
    found = pool_slots([free[pk] for pk in required], {pk: free[pk] for pk in pool}, s.pool_size, bounds=s.bounds,
                       duration=s.duration, step=s.step, tz=UTC)
    explanation = explain(s, before_policy=before, free=free)
    assert (explanation is None) == bool(found)
    if explanation is not None:
        assert explanation.code in CODES and explanation.users and set(explanation.users) <= set(ids)
        if explanation.code == "no_free_time":
            assert all(not clip(before[pk], s.bounds) for pk in explanation.users)
        if explanation.code == "policy":
            assert pool_slots([before[pk] for pk in required], {pk: before[pk] for pk in pool}, s.pool_size,
                              bounds=s.bounds, duration=s.duration, step=s.step, tz=UTC)
