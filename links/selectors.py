"""Reading scheduling links: by token, their status, and the slots they offer (the matcher's own code)."""

from collections import Counter
from datetime import datetime, time, timedelta, tzinfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import User
from core.timezones import get_zone
from links.models import LinkStatus, SchedulingLink
from links.tokens import hash_link_token, looks_like_token
from scheduling.models import Interview, InterviewStatus
from slots.intervals import Interval
from slots.matcher import match


def links_with_details() -> QuerySet[SchedulingLink]:
    return SchedulingLink.objects.select_related("candidate", "interview").prefetch_related(
        "interviewers", "pool", "interview__interviewers"
    )


def link_by_token(token: str) -> SchedulingLink | None:
    """The link this token opens, or None (a malformed token costs no query)."""
    if not looks_like_token(token):
        return None
    return links_with_details().filter(token_hash=hash_link_token(token)).first()


def booked_interview(link: SchedulingLink) -> Interview | None:
    interview = link.interview
    return interview if interview is not None and interview.status == InterviewStatus.SCHEDULED else None


def link_status(link: SchedulingLink, now: datetime | None = None) -> str:
    """Revoked; else booked while its interview is scheduled (until the later of ``expires_at`` and the
    interview's end); else open until ``expires_at``; else expired."""
    now = now or timezone.now()
    if link.revoked_at is not None:
        return LinkStatus.REVOKED
    interview = booked_interview(link)
    if interview is not None:
        return LinkStatus.BOOKED if now < max(link.expires_at, interview.end) else LinkStatus.EXPIRED
    return LinkStatus.OPEN if now < link.expires_at else LinkStatus.EXPIRED


def links_in_status(queryset: QuerySet[SchedulingLink], status: str, now: datetime | None = None) -> QuerySet:
    """The links of ``queryset`` whose ``link_status`` is ``status``, as one filter."""
    now = now or timezone.now()
    live = Q(revoked_at__isnull=True)
    scheduled = Q(interview__status=InterviewStatus.SCHEDULED)
    not_booked = Q(interview__isnull=True) | ~scheduled  # ~Q alone would drop the links with no interview
    booking_over = Q(expires_at__lte=now, interview__end__lte=now)
    wanted = {
        LinkStatus.REVOKED: ~live,
        LinkStatus.BOOKED: live & scheduled & ~booking_over,
        LinkStatus.OPEN: live & not_booked & Q(expires_at__gt=now),
        LinkStatus.EXPIRED: live & ((not_booked & Q(expires_at__lte=now)) | (scheduled & booking_over)),
    }[status]
    return queryset.filter(wanted)


def link_zone(link: SchedulingLink) -> tzinfo:
    return get_zone(link.timezone)


def link_panel(link: SchedulingLink) -> list[User]:
    """Who must be free for a slot besides the candidate: the fixed panel (a booked link: its interview's
    people, so that a reschedule keeps the interviewer chosen from the pool)."""
    interview = booked_interview(link)
    if interview is not None:
        return sorted(interview.interviewers.all(), key=lambda u: u.pk)
    return list(link.interviewers.all())


def uses_pool(link: SchedulingLink) -> bool:
    return link.pool_size > 0 and booked_interview(link) is None


def link_slots(link: SchedulingLink, *, tz: tzinfo) -> list[Interval]:
    """The slots the link offers in ``tz``: exactly what ``/slots/`` gives for the panel, range and step
    (and, while nothing is booked, K of the pool)."""
    pool = list(link.pool.all()) if uses_pool(link) else []
    answer = match(
        candidate=link.candidate, interviewers=link_panel(link), pool=pool, pool_size=link.pool_size if pool else 0,
        start=link.start, end=link.end,
        duration=timedelta(minutes=link.duration), step=timedelta(minutes=link.step), tz=tz,
    )
    return [slot for slot, _members in answer.slots]


def week_of(instant: datetime, tz: tzinfo) -> Interval:
    """The local Monday-to-Monday week (in ``tz``) holding ``instant``."""
    local = instant.astimezone(tz).date()
    monday = local - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return Interval(start, end)


def weekly_load(user_ids: list[int], week: Interval) -> Counter:
    """How many scheduled interviews each user has in the week (1 query)."""
    rows = Interview.objects.filter(
        status=InterviewStatus.SCHEDULED, start__lt=week.end, end__gt=week.start, interviewers__in=user_ids
    ).values_list("interviewers", flat=True)
    return Counter(rows)
