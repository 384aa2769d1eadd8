"""Properties of the matcher, checked against a brute-force reference on random schedules.

The number of examples comes from the hypothesis profile (tests/conftest.py): 100 by default,
1000 with HYPOTHESIS_PROFILE=ci (as .ci/run does on SQLite).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from slots.intervals import UTC, Interval, clip, free_slots, merge, subtract
from slots.policy import Policy, apply_policy
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


@settings(deadline=None)
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


@settings(deadline=None)
@given(intervals=person(ORIGINS[0]))
def test_merge_is_sorted_disjoint_and_covers_the_same_minutes(intervals):
    merged = merge(intervals)
    assert all(a.end < b.start for a, b in zip(merged, merged[1:]))  # touching ones were merged
    minute = timedelta(minutes=5)
    covered = {i.start + k * minute for i in intervals for k in range(int((i.end - i.start) / minute))}
    covered_merged = {i.start + k * minute for i in merged for k in range(int((i.end - i.start) / minute))}
    assert covered == covered_merged


UNIT = timedelta(minutes=5)  # every end drawn above lies on this grid from the origin


def units(intervals) -> set[datetime]:
    """The starts of the UNIT-long pieces the intervals cover."""
    return {i.start + k * UNIT for i in intervals for k in range(int((i.end - i.start) / UNIT))}


def runs(pieces: set[datetime]) -> list[Interval]:
    """Maximal intervals made of consecutive UNIT-long pieces: the merged form."""
    found: list[Interval] = []
    for start in sorted(pieces):
        if found and found[-1].end == start:
            found[-1] = Interval(found[-1].start, start + UNIT)
        else:
            found.append(Interval(start, start + UNIT))
    return found


@settings(deadline=None)
@given(origin=st.sampled_from(ORIGINS), data=st.data())
def test_subtract_agrees_with_brute_force(origin, data):
    free = merge(data.draw(person(origin), label="free"))
    # many short busy periods, so that a free stretch often holds two or more of them
    busy = merge(data.draw(st.lists(st.tuples(st.integers(0, SPAN_MINUTES // 5), st.integers(1, 24)).map(
        lambda t: Interval(origin + t[0] * UNIT, origin + (t[0] + t[1]) * UNIT)), max_size=12), label="busy"))
    assert subtract(free, busy) == runs(units(free) - units(busy))


@settings(deadline=None)
@given(origin=st.sampled_from(ORIGINS), data=st.data())
def test_clip_agrees_with_brute_force(origin, data):
    free = merge(data.draw(person(origin), label="free"))
    # the bounds' ends anywhere, or often exactly on an end of the free time (touching is not overlapping)
    edges = [origin + k * UNIT for k in range(-12, SPAN_MINUTES // 5 + 12)]
    ends = [instant for i in free for instant in i]
    edge = st.sampled_from(ends) | st.sampled_from(edges) if ends else st.sampled_from(edges)
    start, end = sorted(data.draw(st.lists(edge, min_size=2, max_size=2, unique=True), label="bounds"))
    assert clip(free, Interval(start, end)) == runs(units(free) & units([Interval(start, end)]))


@st.composite
def policies(draw):
    return Policy(
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 15, 30, 90]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 10, 30, 60]))),
        min_notice=timedelta(minutes=draw(st.sampled_from([0, 30, 240, 1440]))),
        max_per_day=draw(st.sampled_from([None, 1, 2, 3])),
        tz=draw(st.sampled_from(ZONES)),
    )


def policy_reference(free, policy: Policy, interviews, now) -> list[Interval]:
    """Each UNIT-long piece of free time is kept unless it is within the spacing of an interview, on a local
    day holding max_per_day interviews or more, or sooner than now + min_notice."""
    spacing = max(policy.buffer_before, policy.buffer_after)
    per_day: dict = {}
    for i in interviews:
        day = i.start.astimezone(policy.tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    kept = set()
    for piece in units(free):
        if spacing and any(piece < i.end + spacing and piece + UNIT > i.start - spacing for i in interviews):
            continue
        if policy.max_per_day and per_day.get(piece.astimezone(policy.tz).date(), 0) >= policy.max_per_day:
            continue
        if policy.min_notice and now is not None and piece < now + policy.min_notice:
            continue
        kept.add(piece)
    return runs(kept)


@settings(deadline=None)
@given(origin=st.sampled_from(ORIGINS), policy=policies(), data=st.data())
def test_apply_policy_agrees_with_brute_force(origin, policy, data):
    free = merge(data.draw(person(origin), label="free"))
    interviews = data.draw(st.lists(
        st.tuples(st.integers(-24, SPAN_MINUTES // 5 + 24), st.integers(3, 36)).map(
            lambda t: Interval(origin + t[0] * UNIT, origin + (t[0] + t[1]) * UNIT)), max_size=5), label="interviews")
    now = data.draw(st.none() | st.integers(-300, SPAN_MINUTES // 5).map(lambda k: origin + k * UNIT), label="now")
    assert apply_policy(free, policy, interviews, now) == policy_reference(free, policy, interviews, now)


def _any_seconds(origin):
    """Free time whose ends fall on any second (an imported calendar's may), not only on whole minutes."""
    second = timedelta(seconds=1)
    return st.lists(st.tuples(st.integers(0, SPAN_MINUTES * 60), st.integers(1, 12 * 3600)).map(
        lambda t: Interval(origin + t[0] * second, origin + (t[0] + t[1]) * second)), max_size=6)


@settings(deadline=None)
@given(origin=st.sampled_from(ORIGINS), zone=st.sampled_from(ZONES), duration=st.sampled_from([15, 60, 90]),
       step=st.sampled_from([5, 15, 30, 60, 45]), notices=st.lists(st.sampled_from([0, 1, 30, 240]), min_size=4,
                                                                     max_size=4),
       near=st.integers(1, SPAN_MINUTES // 10), off_by=st.just(0) | st.integers(-59_999_999, 59_999_999),
       data=st.data())
def test_the_slots_at_now_are_the_slots_at_the_next_whole_minute(origin, zone, duration, step, notices,
                                                                 near, off_by, data):
    """What lets searches of one minute share an answer (slots.answers): starts lie on a grid of whole
    minutes and notices are whole minutes, so rounding now up to the minute changes no slot, in a panel
    or a pool."""
    from slots.answers import search_instant
    from slots.pools import pool_slots

    now = origin + near * UNIT + timedelta(microseconds=off_by)  # within a minute of a 5-minute point
    around_now = st.tuples(st.integers(0, 3 * 3600), st.integers(1, 6 * 3600)).map(  # often holds a slot there
        lambda t: Interval(now - timedelta(seconds=t[0]), now - timedelta(seconds=t[0] - t[1])))
    free = [merge([*data.draw(_any_seconds(origin), label=f"free {k}"), data.draw(around_now, label=f"now {k}")])
            for k in range(4)]
    bounds = Interval(origin, origin + timedelta(minutes=SPAN_MINUTES))
    where = dict(bounds=bounds, duration=timedelta(minutes=duration), step=timedelta(minutes=step), tz=zone)

    def answer(at):
        mine = [apply_policy(f, Policy(min_notice=timedelta(minutes=n)), [], at) for f, n in zip(free, notices)]
        return (pool_slots(mine[:2], {}, 0, not_before=at, **where),
                pool_slots(mine[:1], {3: mine[1], 4: mine[2], 5: mine[3]}, 2, not_before=at, **where))

    assert timedelta(0) <= search_instant(now) - now < timedelta(minutes=1)
    assert answer(now) == answer(search_instant(now))
