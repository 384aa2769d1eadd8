"""Interview loops: itineraries of several sessions for one candidate on one local day. Pure Python over
``slots.intervals`` and ``slots.pools``: no Django here.

An itinerary places every session once, one after another (in the given order, or in any order), each
starting on the ``step`` grid of ``tz`` (as slots do), inside the free time of the candidate and of the
session's people (and ``pool_size`` of its pool), with a gap of 0 to ``max_gap`` between one session's end
and the next one's start, all inside one local day. Sessions never overlap, so nobody is in two at once.
Itineraries are sorted by start, then total gap, then the order of the sessions, then their starts; the
first ``limit`` are answered.

How the work is bounded (no n! orders): each session's possible starts are found once over the whole
range (the slot matcher, O(n log n) in free time). Then, per local day, the best completion of a partial
itinerary depends only on which sessions are placed and when the last one ends, so it is memoised on
(set of placed sessions, end): at most 2^n * G states for G grid points in a day, each trying at most
n * (max_gap / step + 1) next starts, and only the starts where a session actually fits. Enumeration walks
first starts in time order and prunes any branch whose best completion cannot beat the ``limit``-th
itinerary found so far; it stops as soon as the answer is complete.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import groupby

from slots.explain import CODES, NO_COMMON_TIME, Explanation, Search, explain
from slots.intervals import UTC, Interval
from slots.pools import pool_slots

MAX_SESSIONS = 8
MAX_STATES = 200_000  # about a second and a half of work: the most any one search may do
_INF = float("inf")


@dataclass(frozen=True)
class Session:
    duration: timedelta
    interviewers: tuple[int, ...] = ()  # every one of them
    pool: tuple[int, ...] = ()  # and pool_size of these
    pool_size: int = 0
    title: str = ""


@dataclass(frozen=True)
class Placed:
    session: int  # index into the sessions asked for
    slot: Interval
    interviewers: tuple[int, ...]  # the session's interviewers and the pool members chosen, sorted
    available: tuple[int, ...]  # pool members free for all of the slot (empty without a pool)


@dataclass(frozen=True)
class Itinerary:
    sessions: tuple[Placed, ...]  # in time order

    @property
    def start(self) -> datetime:
        return self.sessions[0].slot.start

    @property
    def end(self) -> datetime:
        return self.sessions[-1].slot.end

    @property
    def total_gap(self) -> timedelta:
        return sum((b.slot.start - a.slot.end for a, b in zip(self.sessions, self.sessions[1:])), timedelta(0))

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(p.session for p in self.sessions)

    def sort_key(self) -> tuple:
        return (self.start, self.total_gap, self.order, tuple(p.slot.start for p in self.sessions))


@dataclass(frozen=True)
class LoopAnswer:
    itineraries: list[Itinerary]
    complete: bool = True  # False when the work budget ran out first: a later itinerary may be missing
    states: int = 0  # how much work the search did (states visited), for benchmarks


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def session_slots(
    session: Session,
    candidate: Sequence[Interval],
    free: Mapping[int, Sequence[Interval]],
    *,
    bounds: Interval,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
) -> list[tuple[Interval, list[int]]]:
    """Where one session fits on its own: the slot matcher for the candidate, its panel and its pool."""
    return pool_slots(
        [candidate, *(free[pk] for pk in session.interviewers)],
        {pk: free[pk] for pk in session.pool},
        session.pool_size if session.pool else 0,
        bounds=bounds,
        duration=session.duration,
        step=step,
        tz=tz,
        not_before=not_before,
    )


def _local_day(slot: Interval, tz: tzinfo):
    """The local date a slot lies in, or None when it runs into the next day."""
    day = slot.start.astimezone(tz).date()
    last = (slot.end - timedelta(microseconds=1)).astimezone(tz).date()
    return day if last == day else None


class OutOfBudget(Exception):
    """The search visited more states than it may (``max_states``)."""


class _Budget:
    def __init__(self, states: int):
        self.left = self.total = states

    @property
    def spent(self) -> int:
        return self.total - max(self.left, 0)

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise OutOfBudget()


class _Day:
    """The search on one local day: starts per session as seconds, and the memoised best completion."""

    def __init__(self, starts: list[list[int]], durations: list[int], max_gap: int, fixed: bool, budget: _Budget):
        self.starts = starts
        self.durations = durations
        self.max_gap = max_gap
        self.n = len(starts)
        self.full = (1 << self.n) - 1
        self.fixed = fixed
        self.budget = budget
        self.memo: dict[tuple[int, int], float] = {}
        # The last moment any session can end this day: what is left to place must fit before it.
        self.last_end = max(st[-1] + d for st, d in zip(starts, durations))
        self.total = sum(durations)
        self._left: dict[int, int] = {}

    def left(self, mask: int) -> int:
        """The total duration of the sessions not yet placed."""
        found = self._left.get(mask)
        if found is None:
            found = self.total - sum(d for i, d in enumerate(self.durations) if mask >> i & 1)
            self._left[mask] = found
        return found

    def choices(self, mask: int) -> range | list[int]:
        if self.fixed:
            placed = bin(mask).count("1")
            return [placed] if placed < self.n else []
        return [s for s in range(self.n) if not mask >> s & 1]

    def window(self, s: int, end: int) -> list[int]:
        starts = self.starts[s]
        return starts[bisect_left(starts, end):bisect_right(starts, end + self.max_gap)]

    def best(self, mask: int, end: int) -> float:
        """The least total gap that completes the itinerary from here (infinite when nothing does)."""
        if mask == self.full:
            return 0
        key = (mask, end)
        found = self.memo.get(key)
        if found is not None:
            return found
        self.budget.spend()
        found = _INF
        if end + self.left(mask) > self.last_end:
            self.memo[key] = found
            return found
        for s in self.choices(mask):
            for t in self.window(s, end):
                gap = t - end
                if gap >= found:
                    break
                rest = self.best(mask | 1 << s, t + self.durations[s])
                if gap + rest < found:
                    found = gap + rest
        self.memo[key] = found
        return found


def session_tables(
    sessions: Sequence[Session],
    *,
    candidate: Sequence[Interval],
    free: Mapping[int, Sequence[Interval]],
    bounds: Interval,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
) -> list[dict]:
    """For each session, where it fits on its own, by local day: {day: {start in seconds: (slot, pool free)}}.
    Computed once per search and shared with the explanation."""
    tables: list[dict] = []
    for session in sessions:
        days: dict = {}
        found = session_slots(session, candidate, free, bounds=bounds, step=step, tz=tz, not_before=not_before)
        for day, group in groupby(found, key=lambda item: _local_day(item[0], tz)):
            if day is not None:
                days.setdefault(day, {}).update((_seconds(slot.start), (slot, available)) for slot, available in group)
        tables.append(days)
    return tables


def search_loops(
    sessions: Sequence[Session],
    *,
    candidate: Sequence[Interval],
    free: Mapping[int, Sequence[Interval]],
    any_order: bool,
    max_gap: timedelta,
    bounds: Interval,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
    limit: int = 20,
    max_states: int = MAX_STATES,
    tables: list[dict] | None = None,
) -> LoopAnswer:
    """The first ``limit`` itineraries (see the module's docstring); ``free`` maps each interviewer to
    their free time, ``candidate`` is the candidate's (all merged). When the search would visit more than
    ``max_states`` states it stops there and answers what it found, marked incomplete. ``tables`` (from
    ``session_tables``, for these sessions and arguments) saves finding each session's slots again."""
    if not 1 <= len(sessions) <= MAX_SESSIONS:
        raise ValueError(f"a loop has 1 to {MAX_SESSIONS} sessions")
    if limit < 1 or max_gap < timedelta(0):
        raise ValueError("limit must be positive and max_gap not negative")
    n = len(sessions)
    if tables is None:
        tables = session_tables(sessions, candidate=candidate, free=free, bounds=bounds, step=step, tz=tz,
                                not_before=not_before)
    by_day = tables
    common_days = sorted(set.intersection(*(set(days) for days in by_day)))
    durations = [int(s.duration.total_seconds()) for s in sessions]
    results: list[tuple] = []  # (sort key in seconds, day, ((session, start), ...)), the best first

    firsts = list(range(n)) if any_order else [0]
    budget = _Budget(max_states)
    complete = True
    try:
        for day in common_days:
            search = _Day([sorted(d[day]) for d in by_day], durations, int(max_gap.total_seconds()), not any_order,
                          budget)
            first_starts = sorted({t for s in firsts for t in search.starts[s]})
            if len(results) == limit and results[-1][0][0] < first_starts[0]:
                break  # this day, and every later one, starts after all the itineraries kept
            for t0 in first_starts:
                if len(results) == limit and results[-1][0][0] < t0:
                    break
                for s in firsts:
                    if t0 in by_day[s][day]:
                        _enumerate(search, results, limit, t0, s, day)
    except OutOfBudget:
        complete = False

    itineraries = []
    for _key, day, placed in results:
        parts = []
        for s, t in placed:
            slot, available = by_day[s][day][t]
            session = sessions[s]
            chosen = tuple(available[: session.pool_size]) if session.pool else ()
            parts.append(Placed(s, slot, tuple(sorted((*session.interviewers, *chosen))), tuple(available)))
        itineraries.append(Itinerary(tuple(parts)))
    return LoopAnswer(itineraries, complete, budget.spent)


def _enumerate(day: _Day, results: list, limit: int, t0: int, first: int, date) -> None:
    """Every itinerary starting with session ``first`` at ``t0`` that belongs in the first ``limit``."""
    end0 = t0 + day.durations[first]
    if day.best(1 << first, end0) == _INF:
        return

    def beaten(bound: float, order: tuple[int, ...]) -> bool:
        if len(results) < limit:
            return False
        worst = results[-1][0]
        mine = (t0, bound)
        if mine != (worst[0], worst[1]):
            return mine > (worst[0], worst[1])
        return order > worst[2][: len(order)]

    def walk(mask: int, end: int, gap: int, order: tuple[int, ...], placed: tuple) -> None:
        if mask == day.full:
            key = (t0, gap, order, tuple(t for _, t in placed))
            insort(results, (key, date, placed))
            if len(results) > limit:
                results.pop()
            return
        day.budget.spend()
        for s in day.choices(mask):
            for t in day.window(s, end):
                rest = day.best(mask | 1 << s, t + day.durations[s])
                if rest == _INF:
                    continue
                bound = gap + (t - end) + rest
                if beaten(bound, order + (s,)):
                    if len(results) >= limit and (t0, gap + (t - end)) > results[-1][0][:2]:
                        break  # later starts of this session only add gap
                    continue
                walk(mask | 1 << s, t + day.durations[s], gap + (t - end), order + (s,), placed + ((s, t),))

    walk(1 << first, end0, 0, (first,), ((first, t0),))


def explain_loop(
    sessions: Sequence[Session],
    *,
    candidate: int,
    before_policy: Mapping[int, Sequence[Interval]],
    free: Mapping[int, Sequence[Interval]],
    any_order: bool,
    max_gap: timedelta,
    bounds: Interval,
    step: timedelta,
    tz: tzinfo,
    not_before: datetime | None = None,
    tables: list[dict] | None = None,
    max_states: int = MAX_STATES,
) -> Explanation:
    """Why a loop search found no itinerary, in the slots' terms (``slots.explain``).

    When some session finds no slot on its own, the answer is that session's explanation (the first code in
    the order of precedence over all sessions; the users of every session with that code). When each
    session fits on its own but they never fit together on one day within ``max_gap``, the code is
    ``no_common_time`` and the users are the interviewers of the sessions whose absence alone would let the
    loop fit (else everyone in the loop). Those searches share one work budget of ``max_states``."""
    found = []
    for index, session in enumerate(sessions):
        search = Search(required=(candidate, *session.interviewers), pool=session.pool,
                        pool_size=session.pool_size if session.pool else 0, duration=session.duration, step=step,
                        tz=tz, bounds=bounds, not_before=not_before)
        explanation = explain(search, before_policy=before_policy, free=free)
        if explanation is not None:
            found.append((index, explanation))
    if found:
        code = min((e.code for _, e in found), key=CODES.index)
        same = [(index, e) for index, e in found if e.code == code]
        users = tuple(sorted({pk for _, e in same for pk in e.users}))
        message = " ".join(f"Session {index + 1}: {e.message}" for index, e in same)
        return Explanation(code, message, users)

    everyone = tuple(sorted({candidate, *(pk for s in sessions for pk in (*s.interviewers, *s.pool))}))
    blockers: set[int] = set()
    if tables is None:
        tables = session_tables(sessions, candidate=free[candidate], free=free, bounds=bounds, step=step, tz=tz,
                                not_before=not_before)
    left = max_states
    if len(sessions) > 1:
        for index, session in enumerate(sessions):
            keep = [i for i in range(len(sessions)) if i != index]
            fits = search_loops([sessions[i] for i in keep], candidate=free[candidate], free=free,
                                any_order=any_order, max_gap=max_gap, bounds=bounds, step=step, tz=tz,
                                not_before=not_before, limit=1, max_states=max(left, 1),
                                tables=[tables[i] for i in keep])
            left -= fits.states
            if not fits.complete:
                blockers.clear()  # out of work: no fair answer on who blocks, so name everyone
                break
            if fits.itineraries:
                blockers.update((*session.interviewers, *session.pool))
    users = tuple(sorted(blockers)) or everyone
    gap = int(max_gap.total_seconds() // 60)
    return Explanation(
        NO_COMMON_TIME,
        f"Each session fits on its own, but they never fit together on one day with gaps of at most {gap} "
        f"minutes (users {', '.join(str(pk) for pk in users)}).",
        users,
    )
