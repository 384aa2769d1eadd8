"""Properties of the matcher, checked against a brute-force reference on random schedules."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from slots.intervals import UTC, Interval, free_slots, merge
from tests import dates

ZONES = [ZoneInfo(z) for z in ("UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/London")]


def _day_before(zone: str, forward: bool) -> datetime:
    """Local midnight a day before the next DST change of `zone`, in UTC: a three-day span holds the change."""
    change = dates.next_dst_change(zone, forward=forward)
    return (dates.at(change, tz=zone) - timedelta(days=1)).astimezone(UTC)


# Three-day spans around the next DST changes from today: New York falling back and springing forward,
# London springing forward, Lord Howe moving its clocks by half an hour either way.
ORIGINS = [_day_before("America/New_York", False), _day_before("America/New_York", True),
           _day_before("Europe/London", True), _day_before("Australia/Lord_Howe", False),
           _day_before("Australia/Lord_Howe", True)]
SPAN_MINUTES = 3 * 24 * 60


def person(origin):
    window = st.tuples(st.integers(0, SPAN_MINUTES // 5), st.integers(1, 12 * 12)).map(
        lambda t: Interval(origin + timedelta(minutes=5 * t[0]), origin + timedelta(minutes=5 * (t[0] + t[1])))
    )
    return st.lists(window, max_size=6)


def inside(slot: Interval, schedule: list[Interval]) -> bool:
    return any(i.start <= slot.start and slot.end <= i.end for i in schedule)


def reference(schedules, bounds, duration, step, tz, not_before):
    """Every minute of the range, kept if its wall time is on the grid and the slot fits everyone."""
    found = []
    t = bounds.start
    step_minutes = int(step.total_seconds() // 60)
    while t < bounds.end:
        local = t.astimezone(tz)
        minutes = local.hour * 60 + local.minute
        slot = Interval(t, t + duration)
        if (
            minutes % step_minutes == 0
            and t >= not_before
            and slot.end <= bounds.end
            and all(inside(slot, s) for s in schedules)
        ):
            found.append(slot)
        t += timedelta(minutes=1)
    return found


@st.composite
def scenario(draw):
    origin = draw(st.sampled_from(ORIGINS))
    return origin, draw(st.lists(person(origin), min_size=1, max_size=4))


@settings(max_examples=80, deadline=None)
@given(
    case=scenario(),
    duration=st.sampled_from([15, 30, 45, 60, 90]),
    step=st.sampled_from([5, 15, 30, 60, 90, 420]),
    zone=st.sampled_from(ZONES),
    not_before_minutes=st.integers(0, SPAN_MINUTES // 2),
)
def test_matcher_agrees_with_brute_force(case, duration, step, zone, not_before_minutes):
    origin, people = case
    schedules = [merge(p) for p in people]
    bounds = Interval(origin, origin + timedelta(minutes=SPAN_MINUTES))
    not_before = origin + timedelta(minutes=not_before_minutes)
    found = free_slots(schedules, bounds=bounds, duration=timedelta(minutes=duration),
                       step=timedelta(minutes=step), tz=zone, not_before=not_before)
    # Every slot lies inside every participant's free time.
    assert all(inside(s, sched) for s in found for sched in schedules)
    # Sorted, no duplicates.
    assert found == sorted(set(found))
    # Nothing on the grid is missed, and nothing off it is added.
    assert found == reference(schedules, bounds, timedelta(minutes=duration), timedelta(minutes=step), zone, not_before)


@settings(max_examples=100, deadline=None)
@given(intervals=person(ORIGINS[0]))
def test_merge_is_sorted_disjoint_and_covers_the_same_minutes(intervals):
    merged = merge(intervals)
    assert all(a.end < b.start for a, b in zip(merged, merged[1:]))  # touching ones were merged
    minute = timedelta(minutes=5)
    covered = {i.start + k * minute for i in intervals for k in range(int((i.end - i.start) / minute))}
    covered_merged = {i.start + k * minute for i in merged for k in range(int((i.end - i.start) / minute))}
    assert covered == covered_merged
