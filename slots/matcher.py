"""The matcher: the slots when a candidate and every interviewer of a panel are all free."""

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from django.utils import timezone

from core.models import User
from slots.intervals import Interval, free_slots
from slots.selectors import free_time


def find_slots(
    *,
    candidate: User,
    interviewers: Sequence[User],
    start: datetime,
    end: datetime,
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
) -> list[Interval]:
    people = [candidate.pk, *(u.pk for u in interviewers)]
    now = timezone.now()
    free = free_time(people, start, end, now=now)
    return free_slots(
        [free[pk] for pk in people],
        bounds=Interval(start, end),
        duration=duration,
        step=step,
        tz=tz,
        not_before=now,
    )
