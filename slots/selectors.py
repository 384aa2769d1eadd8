"""Rows to intervals: each participant's free time, read in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import CharField, Q, Value

from core.timezones import get_zone
from slots.intervals import Interval, merge, subtract
from slots.models import (
    AvailabilityWindow,
    BusyPeriod,
    BusySource,
    InterviewerPolicy,
    WeeklyRule,
)
from slots.policy import DEFAULT_POLICY, MAX_BUFFER_MINUTES, Policy, apply_policy
from slots.weekly import WeeklyPattern

_WINDOW = ""  # the kind of an availability window's row (a busy period's is its source, never empty)
# How far outside a range busy time is read, so that buffers and per-day limits near its edges count.
_POLICY_MARGIN = timedelta(days=2, minutes=MAX_BUFFER_MINUTES)


def weekly_pattern(rule: WeeklyRule) -> WeeklyPattern:
    return WeeklyPattern(
        weekdays=frozenset(rule.weekdays),
        start_time=rule.start_time,
        end_time=rule.end_time,
        tz=get_zone(rule.timezone),
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
    )


def to_policy(row: InterviewerPolicy) -> Policy:
    return Policy(
        buffer_before=timedelta(minutes=row.buffer_before),
        buffer_after=timedelta(minutes=row.buffer_after),
        min_notice=timedelta(minutes=row.min_notice),
        max_per_day=row.max_per_day,
        tz=get_zone(row.user.timezone),
    )


def policies(user_ids: Iterable[int]) -> dict[int, Policy]:
    """Each user's scheduling policy; users without one get the default (1 query)."""
    rows = InterviewerPolicy.objects.filter(user_id__in=list(user_ids)).select_related("user")
    found = {row.user_id: to_policy(row) for row in rows}
    return {user_id: found.get(user_id, DEFAULT_POLICY) for user_id in user_ids}


def free_time(
    user_ids: Iterable[int],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    exclude_interview: int | None = None,
) -> dict[int, list[Interval]]:
    """Each user's free time in ``[start, end)``: availability, less busy time, less what their policy
    takes away (3 queries, whatever the number of users and rows). ``exclude_interview`` is left out of
    busy time (a reschedule may overlap the interview's own old time)."""
    return free_time_detail(user_ids, start, end, now=now, exclude_interview=exclude_interview).free


class FreeTime(NamedTuple):
    free: dict[int, list[Interval]]  # after each user's policy: what slots are made of
    before_policy: dict[int, list[Interval]]  # availability less busy time: what explanations compare with


class Schedule(NamedTuple):
    """What one person's free time in a range is made of, before ``now`` is known."""

    before_policy: list[Interval]  # availability less busy time, merged
    interviews: list[Interval]  # their interviews in the range (with a margin around it when they have a policy)
    policy: Policy


def schedules(
    user_ids: Iterable[int],
    start: datetime,
    end: datetime,
    *,
    exclude_interview: int | None = None,
) -> dict[int, Schedule]:
    """Each user's ``Schedule`` for ``[start, end)`` (3 queries, whatever the number of users and rows)."""
    user_ids = list(dict.fromkeys(user_ids))
    policy_of = policies(user_ids)
    # a policy counts interviews around the range too; for everyone else only the range's own busy time matters
    with_policy = [pk for pk in user_ids if not policy_of[pk].is_default]
    without = [pk for pk in user_ids if policy_of[pk].is_default]
    periods = BusyPeriod.objects.filter(
        Q(user_id__in=with_policy, start__lt=end + _POLICY_MARGIN, end__gt=start - _POLICY_MARGIN)
        | Q(user_id__in=without, start__lt=end, end__gt=start)
    )
    if exclude_interview is not None:
        periods = periods.exclude(interview_id=exclude_interview)
    windows = AvailabilityWindow.objects.filter(user_id__in=user_ids, start__lt=end, end__gt=start)
    # windows and busy periods in one query: a window's kind is _WINDOW, a busy period's is its source
    rows = windows.values_list("user_id", "start", "end", Value(_WINDOW, output_field=CharField())).order_by().union(
        periods.values_list("user_id", "start", "end", "source").order_by(), all=True)
    available: dict[int, list[Interval]] = defaultdict(list)
    busy: dict[int, list[Interval]] = defaultdict(list)
    interviews: dict[int, list[Interval]] = defaultdict(list)
    for user_id, row_start, row_end, kind in rows:
        interval = Interval(row_start, row_end)
        if kind == _WINDOW:
            available[user_id].append(interval)
            continue
        busy[user_id].append(interval)
        if kind == BusySource.INTERVIEW:
            interviews[user_id].append(interval)
    for rule in WeeklyRule.objects.filter(user_id__in=user_ids):
        available[rule.user_id].extend(weekly_pattern(rule).expand(start, end))
    return {
        user_id: Schedule(subtract(merge(available[user_id]), merge(busy[user_id])), interviews[user_id],
                          policy_of[user_id])
        for user_id in user_ids
    }


def free_time_of(found: dict[int, Schedule], now: datetime | None) -> FreeTime:
    """Free time from schedules, with each policy applied at ``now`` (pure)."""
    return FreeTime(
        {pk: apply_policy(s.before_policy, s.policy, s.interviews, now) for pk, s in found.items()},
        {pk: s.before_policy for pk, s in found.items()},
    )


def free_time_detail(
    user_ids: Iterable[int],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    exclude_interview: int | None = None,
) -> FreeTime:
    """``free_time``, together with each user's free time before their policy (the same 3 queries)."""
    return free_time_of(schedules(user_ids, start, end, exclude_interview=exclude_interview), now)
