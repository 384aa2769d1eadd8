"""Loop search (pure): tables of cases (DST days, Asia/Kolkata) and a property against brute force."""

from datetime import date, datetime, timedelta
from itertools import permutations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import dates
from slots.intervals import UTC, Interval, interval, merge
from slots.loops import Itinerary, Placed, Session, explain_loop, search_loops

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
D = dates.monday(2).isoformat()  # a Monday two weeks ahead, whatever today is
M = timedelta(minutes=1)


def at(hm: str, tz=UTC, day: str = D) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


def iv(a: str, b: str, tz=UTC, day: str = D) -> Interval:
    return interval(at(a, tz, day), at(b, tz, day))


def day_bounds(tz=UTC, day: str = D, days: int = 1) -> Interval:
    return Interval(at("00:00", tz, day), at("00:00", tz, day) + timedelta(days=days))


def run(sessions, candidate, free, *, any_order=False, max_gap=0, step=15, tz=UTC, limit=20, bounds=None, **kw):
    return search_loops(sessions, candidate=merge(candidate), free={k: merge(v) for k, v in free.items()},
                        any_order=any_order, max_gap=timedelta(minutes=max_gap), bounds=bounds or day_bounds(tz),
                        step=timedelta(minutes=step), tz=tz, limit=limit, **kw).itineraries


def plan(found, tz=UTC):
    """Each itinerary as [(session, local start, interviewers)]."""
    return [[(p.session, p.slot.start.astimezone(tz).strftime("%H:%M"), p.interviewers) for p in i.sessions]
            for i in found]


def s(minutes, *interviewers, pool=(), pool_size=0, title=""):
    return Session(duration=timedelta(minutes=minutes), interviewers=interviewers, pool=tuple(pool),
                   pool_size=pool_size or (1 if pool else 0), title=title)


def test_two_sessions_back_to_back_fixed_order():
    found = run([s(60, 1), s(60, 2)], [iv("09:00", "12:00")], {1: [iv("09:00", "11:00")], 2: [iv("10:00", "12:00")]},
                step=60)
    assert plan(found) == [[(0, "09:00", (1,)), (1, "10:00", (2,))], [(0, "10:00", (1,)), (1, "11:00", (2,))]]


def test_fixed_order_is_kept_and_any_order_finds_the_other():
    candidate = [iv("09:00", "12:00")]
    free = {1: [iv("10:00", "11:00")], 2: [iv("09:00", "10:00")]}
    assert run([s(60, 1), s(60, 2)], candidate, free, step=60) == []
    assert plan(run([s(60, 1), s(60, 2)], candidate, free, step=60, any_order=True)) == [
        [(1, "09:00", (2,)), (0, "10:00", (1,))]]


def test_gaps_up_to_max_gap_and_sorted_by_start_then_gap():
    candidate = [iv("09:00", "13:00")]
    free = {1: [iv("09:00", "10:00")], 2: [iv("10:30", "11:30"), iv("11:00", "12:00")]}
    assert run([s(60, 1), s(60, 2)], candidate, free, step=30, max_gap=15) == []
    found = run([s(60, 1), s(60, 2)], candidate, free, step=30, max_gap=60)
    assert plan(found) == [[(0, "09:00", (1,)), (1, "10:30", (2,))], [(0, "09:00", (1,)), (1, "11:00", (2,))]]
    assert [i.total_gap for i in found] == [timedelta(minutes=30), timedelta(minutes=60)]


def test_limit_keeps_the_first():
    everyone = [iv("08:00", "18:00")]
    found = run([s(60, 1), s(60, 2), s(60, 3)], everyone, {1: everyone, 2: everyone, 3: everyone},
                any_order=True, step=60, limit=4)
    # all six orders fit at 08:00 with no gap; the first four by the order of the sessions
    assert plan(found) == [
        [(0, "08:00", (1,)), (1, "09:00", (2,)), (2, "10:00", (3,))],
        [(0, "08:00", (1,)), (2, "09:00", (3,)), (1, "10:00", (2,))],
        [(1, "08:00", (2,)), (0, "09:00", (1,)), (2, "10:00", (3,))],
        [(1, "08:00", (2,)), (2, "09:00", (3,)), (0, "10:00", (1,))],
    ]


def test_the_candidate_is_free_for_every_session():
    free = {1: [iv("09:00", "12:00")], 2: [iv("09:00", "12:00")]}
    found = run([s(60, 1), s(60, 2)], [iv("09:00", "10:00"), iv("10:30", "12:00")], free, step=30, max_gap=30)
    assert plan(found) == [[(0, "09:00", (1,)), (1, "10:30", (2,))], [(1, "09:00", (2,)), (0, "10:30", (1,))]][:1]


def test_one_of_a_pool_picks_the_lowest_free_id_and_lists_who_is_free():
    candidate = [iv("09:00", "11:00")]
    free = {1: [iv("09:00", "10:00")], 7: [iv("10:00", "11:00")], 5: [iv("09:00", "11:00")]}
    found = run([s(60, 1), s(60, pool=(7, 5))], candidate, free, step=60)
    assert plan(found) == [[(0, "09:00", (1,)), (1, "10:00", (5,))]]
    assert found[0].sessions[1].available == (5, 7)


def test_a_loop_stays_on_one_local_day():
    # free 22:00 to 02:00 the next morning: a loop may not cross midnight
    next_day = (date.fromisoformat(D) + timedelta(days=1)).isoformat()  # from D itself: the suite may cross midnight
    candidate = [interval(at("22:00"), at("02:00", day=next_day))]
    free = {1: candidate, 2: candidate}
    found = run([s(60, 1), s(60, 2)], candidate, free, step=60, bounds=day_bounds(days=2))
    first, second = at("00:00").strftime("%d"), at("00:00", day=next_day).strftime("%d")
    assert [(i.start.strftime("%d %H:%M"), i.end.strftime("%d %H:%M")) for i in found] == [
        (f"{first} 22:00", f"{second} 00:00"), (f"{second} 00:00", f"{second} 02:00")]


def test_kolkata_grid_and_days():
    candidate = [iv("09:00", "12:00", KOLKATA)]
    free = {1: candidate, 2: [iv("10:00", "12:00", KOLKATA)]}
    found = run([s(45, 1), s(45, 2)], candidate, free, step=15, tz=KOLKATA, max_gap=15, limit=3)
    assert plan(found, KOLKATA) == [[(0, "09:00", (1,)), (1, "10:00", (2,))],
                                    [(0, "09:15", (1,)), (1, "10:00", (2,))],
                                    [(0, "09:15", (1,)), (1, "10:15", (2,))]]
    assert found[0].start == at("03:30")


def test_spring_forward_back_to_back_across_the_missing_hour():
    day = dates.next_dst_change(NY, forward=True).isoformat()  # New York: 02:00 EST is 03:00 EDT
    everyone = [interval(at("00:00", NY, day), at("05:00", NY, day))]
    found = run([s(60, 1), s(60, 2)], everyone, {1: everyone, 2: everyone}, step=60, tz=NY,
                bounds=day_bounds(NY, day), limit=2)
    assert [[p.slot.start.astimezone(NY).strftime("%H:%M%z") for p in i.sessions] for i in found] == [
        ["00:00-0500", "01:00-0500"], ["01:00-0500", "03:00-0400"]]
    assert found[1].total_gap == timedelta(0)


def test_fall_back_gives_the_repeated_hour_twice():
    day = dates.next_dst_change(NY, forward=False).isoformat()  # New York: 01:00-02:00 happens twice
    everyone = [interval(at("01:00", NY, day), at("03:00", NY, day))]  # three real hours
    found = run([s(60, 1), s(60, 2)], everyone, {1: everyone, 2: everyone}, step=60, tz=NY,
                bounds=day_bounds(NY, day))
    assert [[p.slot.start.astimezone(NY).strftime("%H:%M%z") for p in i.sessions] for i in found] == [
        ["01:00-0400", "01:00-0500"], ["01:00-0500", "02:00-0500"]]


def test_not_before_and_bounds():
    everyone = [iv("09:00", "13:00")]
    found = run([s(60, 1), s(60, 2)], everyone, {1: everyone, 2: everyone}, step=60, not_before=at("10:30"),
                bounds=Interval(at("00:00"), at("12:30")))
    assert plan(found) == [[(0, "11:00", (1,)), (1, "12:00", (2,))]][:0]  # 12:00-13:00 is past the end
    found = run([s(60, 1), s(60, 2)], everyone, {1: everyone, 2: everyone}, step=60, not_before=at("10:30"))
    assert plan(found) == [[(0, "11:00", (1,)), (1, "12:00", (2,))]]


def test_eight_sessions_in_any_order_do_not_explode():
    everyone = [iv("08:00", "20:00")]
    free = {k: everyone for k in range(1, 9)}
    sessions = [s(45, k) for k in range(1, 9)]
    found = run(sessions, everyone, free, any_order=True, step=15, max_gap=60, limit=20)
    assert len(found) == 20 and all(i.start == at("08:00") and i.total_gap == timedelta(0) for i in found)
    # and when the last session never fits, the search gives up without trying 8! orders at every start
    free[8] = [iv("07:00", "08:00")]
    assert run(sessions, everyone, free, any_order=True, step=15, max_gap=60) == []


def test_the_work_is_bounded_and_says_so():
    everyone = [iv("08:00", "20:00")]
    free = {k: everyone for k in range(1, 9)}
    sessions = [s(45, k) for k in range(1, 9)]
    answer = search_loops(sessions, candidate=everyone, free=free, any_order=True, max_gap=timedelta(minutes=60),
                          bounds=day_bounds(), step=timedelta(minutes=15), tz=UTC, limit=20, max_states=5)
    assert not answer.complete and len(answer.itineraries) < 20
    answer = search_loops(sessions, candidate=everyone, free=free, any_order=True, max_gap=timedelta(minutes=60),
                          bounds=day_bounds(), step=timedelta(minutes=15), tz=UTC, limit=20)
    assert answer.complete and len(answer.itineraries) == 20


@pytest.mark.parametrize("bad", [dict(limit=0), dict(max_gap=-1)])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        run([s(60, 1)], [], {1: []}, **bad)
    with pytest.raises(ValueError):
        run([s(60, 1)] * 9, [], {1: []})


def why_loop(sessions, schedules, *, any_order=False, max_gap=0, step=15, candidate=9):
    before = {pk: merge(v) for pk, v in schedules.items()}
    e = explain_loop(sessions, candidate=candidate, before_policy=before, free=before, any_order=any_order,
                     max_gap=timedelta(minutes=max_gap), bounds=day_bounds(), step=timedelta(minutes=step), tz=UTC)
    return e.code, e.users, e.message


def test_loop_explanation_from_a_session_that_never_fits():
    schedules = {9: [iv("09:00", "12:00")], 1: [iv("09:00", "12:00")], 2: [], 3: [iv("13:00", "14:00")]}
    code, users, message = why_loop([s(60, 1), s(60, 2), s(60, 3)], schedules)
    assert (code, users) == ("no_free_time", (2,)) and message.startswith("Session 2: ")
    schedules[2] = [iv("09:00", "12:00")]
    code, users, message = why_loop([s(60, 1), s(60, 2), s(60, 3)], schedules)
    assert (code, users) == ("no_common_time", (3, 9)) and message.startswith("Session 3: ")


def test_loop_explanation_when_sessions_fit_alone_but_not_together():
    schedules = {9: [iv("09:00", "12:00")], 1: [iv("09:00", "10:00")], 2: [iv("11:00", "12:00")],
                 3: [iv("09:00", "12:00")]}
    # 1 at 09:00 and 2 at 11:00 leave an hour's gap: too long with max_gap 0; without either it fits
    code, users, _ = why_loop([s(60, 1), s(60, 2), s(60, 3)], schedules, any_order=True, max_gap=0)
    assert (code, users) == ("no_common_time", (1, 2))
    # with an hour's gap allowed the same loop fits: 1 at 09:00, 3 at 10:00, 2 at 11:00
    found = run([s(60, 1), s(60, 2), s(60, 3)], schedules[9], {k: v for k, v in schedules.items() if k != 9},
                any_order=True, max_gap=60, step=60)
    assert plan(found)[0] == [(0, "09:00", (1,)), (2, "10:00", (3,)), (1, "11:00", (2,))]


# ---------------------------------------------------------------- the property against brute force

def brute_force(sessions, candidate, free, *, any_order, max_gap, bounds, step, tz, not_before, limit):
    """Every itinerary, by trying every order and every start minute by minute (5-minute steps)."""
    five = timedelta(minutes=5)

    def on_grid(t):
        local = t.astimezone(tz)
        return (local.hour * 60 + local.minute) % int(step / M) == 0

    def fits(slot, schedule):
        return any(i.start <= slot.start and slot.end <= i.end for i in schedule)

    def placed(index, t):
        session = sessions[index]
        slot = Interval(t, t + session.duration)
        if not (on_grid(t) and bounds.start <= t and slot.end <= bounds.end and (not_before is None or t >= not_before)):
            return None
        if not fits(slot, candidate) or not all(fits(slot, free[pk]) for pk in session.interviewers):
            return None
        available = tuple(pk for pk in sorted(session.pool) if fits(slot, free[pk]))
        if session.pool and len(available) < session.pool_size:
            return None
        chosen = available[: session.pool_size] if session.pool else ()
        return Placed(index, slot, tuple(sorted((*session.interviewers, *chosen))), available)

    found = []
    orders = permutations(range(len(sessions))) if any_order else [tuple(range(len(sessions)))]
    for order in orders:
        def extend(done, k):
            if k == len(order):
                first, last = done[0].slot, done[-1].slot
                if first.start.astimezone(tz).date() == (last.end - M).astimezone(tz).date():
                    found.append(Itinerary(tuple(done)))
                return
            prev_end = done[-1].slot.end
            t = prev_end
            while t <= prev_end + max_gap:
                p = placed(order[k], t)
                if p:
                    extend(done + [p], k + 1)
                t += five

        t = bounds.start
        while t < bounds.end:
            p = placed(order[0], t)
            if p:
                extend([p], 1)
            t += five
    found.sort(key=Itinerary.sort_key)
    return found[:limit]


def _noon_before(day) -> datetime:
    return dates.at(day - timedelta(days=1), 12)


# noon (UTC) the day before New York falls back and springs forward, and before an ordinary Monday
ORIGINS = [(_noon_before(dates.next_dst_change(NY, forward=False)), NY),
           (_noon_before(dates.next_dst_change(NY, forward=True)), NY),
           (_noon_before(dates.monday(2)), KOLKATA), (_noon_before(dates.monday(2)), UTC)]
SPAN = timedelta(hours=36)


@st.composite
def loop_case(draw):
    origin, tz = draw(st.sampled_from(ORIGINS))

    def person():
        window = st.tuples(st.integers(0, 36 * 4 - 1), st.integers(2, 24)).map(
            lambda t: Interval(origin + 15 * t[0] * M, origin + 15 * (t[0] + t[1]) * M))
        return draw(st.lists(window, min_size=1, max_size=3).map(merge))

    candidate = person()
    free = {pk: person() for pk in (1, 2, 3, 4)}
    sessions = []
    for _ in range(draw(st.integers(2, 3))):
        panel = tuple(sorted(draw(st.sets(st.sampled_from([1, 2, 3, 4]), max_size=2))))
        pool = () if panel and draw(st.booleans()) else tuple(
            sorted(draw(st.sets(st.sampled_from([pk for pk in (1, 2, 3, 4) if pk not in panel]), min_size=1))))
        size = draw(st.integers(1, len(pool))) if pool else 0
        sessions.append(Session(duration=draw(st.sampled_from([30, 45, 60])) * M, interviewers=panel, pool=pool,
                                pool_size=size))
    return dict(
        sessions=sessions, candidate=candidate, free=free, tz=tz,
        bounds=Interval(origin, origin + SPAN),
        any_order=draw(st.booleans()),
        max_gap=draw(st.sampled_from([0, 15, 30, 60])) * M,
        step=draw(st.sampled_from([15, 30])) * M,
        not_before=origin + draw(st.integers(0, 12)) * 60 * M,
        limit=draw(st.integers(1, 6)),
    )


@settings(max_examples=60, deadline=None)
@given(case=loop_case())
def test_search_agrees_with_brute_force(case):
    found = search_loops(case["sessions"], candidate=case["candidate"], free=case["free"],
                         any_order=case["any_order"], max_gap=case["max_gap"], bounds=case["bounds"],
                         step=case["step"], tz=case["tz"], not_before=case["not_before"], limit=case["limit"])
    assert found.complete
    found = found.itineraries
    assert found == brute_force(**case)
    for itinerary in found:
        slots = [p.slot for p in itinerary.sessions]
        assert all(a.end <= b.start <= a.end + case["max_gap"] for a, b in zip(slots, slots[1:]))
        assert sorted(p.session for p in itinerary.sessions) == list(range(len(case["sessions"])))
    assert [i.sort_key() for i in found] == sorted(i.sort_key() for i in found)
