"""An interviewer's scheduling policy applied to their free time. Pure Python: no Django here.

- Buffers: the ``before`` and ``after`` minutes around each interview must be free of other interviews
  (two buffers may overlap each other). So another interview may come no nearer than
  ``max(before, after)`` to an existing one.
- Minimum notice: nothing starts sooner than ``notice`` from now.
- Maximum per day: a local day (in the interviewer's zone) that already holds that many interviews
  is not free at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from slots.intervals import UTC, Interval, merge, subtract


MAX_BUFFER_MINUTES = 24 * 60  # the largest buffer a policy may set; selectors read that far around a range


@dataclass(frozen=True)
class Policy:
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    max_per_day: int | None = None
    tz: tzinfo = UTC

    @property
    def is_default(self) -> bool:
        return not (self.buffer_before or self.buffer_after or self.min_notice or self.max_per_day)

    @property
    def spacing(self) -> timedelta:
        return max(self.buffer_before, self.buffer_after)


DEFAULT_POLICY = Policy()


def _day_bounds(day, tz: tzinfo) -> Interval:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Interval(start, end)


def policy_busy(policy: Policy, interviews: Sequence[Interval], now: datetime | None) -> list[Interval]:
    """The extra time a policy makes busy, given the interviewer's interviews (actual times)."""
    extra: list[Interval] = []
    spacing = policy.spacing
    if spacing:
        extra.extend(Interval(i.start - spacing, i.end + spacing) for i in interviews)
    if policy.max_per_day:
        per_day = Counter(i.start.astimezone(policy.tz).date() for i in interviews)
        extra.extend(_day_bounds(day, policy.tz) for day, count in per_day.items() if count >= policy.max_per_day)
    if policy.min_notice and now is not None:
        extra.append(Interval(datetime.min.replace(tzinfo=UTC) + timedelta(days=1), now + policy.min_notice))
    return merge(extra)


def apply_policy(free: Sequence[Interval], policy: Policy, interviews: Sequence[Interval], now: datetime | None) -> list[Interval]:
    """``free`` (merged) less what the policy takes away."""
    if policy.is_default:
        return list(free)
    return subtract(free, policy_busy(policy, interviews, now))
