"""Writing availability and busy time. Every change announces itself after commit (auto-scheduling)."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction

from core.models import User
from core.quotas import check_quota
from slots.models import (
    AvailabilitySource,
    AvailabilityWindow,
    BusyPeriod,
    BusySource,
    InterviewerPolicy,
    WeeklyRule,
)
from slots.signals import free_time_changed


def announce_free_time_changed(user_ids: Iterable[int]) -> None:
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(lambda: free_time_changed.send(sender=None, user_ids=ids), robust=True)


def availability_create(*, user: User, windows: Sequence[tuple[datetime, datetime]]) -> list[AvailabilityWindow]:
    rows = [AvailabilityWindow(user=user, start=start, end=end) for start, end in windows]
    for row in rows:
        row.full_clean(exclude=["user", "import_source"])
    check_quota(AvailabilityWindow.objects.filter(user=user, source=AvailabilitySource.MANUAL), adding=len(rows),
                limit=settings.MAX_WINDOWS_PER_USER, what="availability windows entered by hand")
    with transaction.atomic():
        created = AvailabilityWindow.objects.bulk_create(rows)
        announce_free_time_changed([user.pk])
    return created


def availability_update(*, window: AvailabilityWindow, start: datetime | None, end: datetime | None) -> AvailabilityWindow:
    if start is not None:
        window.start = start
    if end is not None:
        window.end = end
    window.full_clean(exclude=["user", "import_source"])
    with transaction.atomic():
        window.save(update_fields=["start", "end"])
        announce_free_time_changed([window.user_id])
    return window


def availability_delete(*, window: AvailabilityWindow) -> None:
    with transaction.atomic():
        window.delete()
        announce_free_time_changed([window.user_id])


def weekly_rule_create(
    *,
    user: User,
    weekdays: Sequence[int],
    start_time: time,
    end_time: time,
    timezone: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> WeeklyRule:
    rule = WeeklyRule(
        user=user,
        weekdays=sorted(set(weekdays)),
        start_time=start_time,
        end_time=end_time,
        timezone=timezone,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    rule.full_clean(exclude=["user"])
    check_quota(WeeklyRule.objects.filter(user=user), adding=1, limit=settings.MAX_WEEKLY_RULES_PER_USER,
                what="weekly rules")
    with transaction.atomic():
        rule.save()
        announce_free_time_changed([user.pk])
    return rule


def weekly_rule_delete(*, rule: WeeklyRule) -> None:
    with transaction.atomic():
        rule.delete()
        announce_free_time_changed([rule.user_id])


def busy_period_create(*, user: User, start: datetime, end: datetime) -> BusyPeriod:
    period = BusyPeriod(user=user, start=start, end=end, source=BusySource.MANUAL)
    period.full_clean(exclude=["user", "interview", "import_source"])
    check_quota(BusyPeriod.objects.filter(user=user, source=BusySource.MANUAL), adding=1,
                limit=settings.MAX_BUSY_PERIODS_PER_USER, what="busy periods entered by hand")
    with transaction.atomic():
        period.save()
        announce_free_time_changed([user.pk])
    return period


def busy_period_delete(*, period: BusyPeriod) -> None:
    with transaction.atomic():
        period.delete()
        announce_free_time_changed([period.user_id])



def interviewer_policy_update(*, user: User, **changes) -> InterviewerPolicy:
    """Create or change an interviewer's policy. Looser rules may let open interview requests book now,
    so the change is announced like any change of free time."""
    policy = InterviewerPolicy.objects.filter(user=user).first() or InterviewerPolicy(user=user)
    unknown = set(changes) - {"buffer_before", "buffer_after", "min_notice", "max_per_day"}
    if unknown:
        raise TypeError(f"not policy fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["user"])
    with transaction.atomic():
        policy.save()
        announce_free_time_changed([user.pk])
    return policy
