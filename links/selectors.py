"""Reading scheduling links: by token, their status, and the slots they offer (the matcher's own code)."""

from bisect import bisect_right
from collections import Counter
from datetime import datetime, time, timedelta, tzinfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import User
from core.timezones import get_zone
from links.models import LinkStatus, SchedulingLink
from links.tokens import hash_link_token, looks_like_token
from scheduling.models import Interview, InterviewStatus
from slots.intervals import Interval, free_slots
from slots.matcher import find_slots
from slots.selectors import free_time


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


def link_slots(link: SchedulingLink, *, tz: tzinfo, now: datetime | None = None) -> list[Interval]:
    """The slots the link offers in ``tz``: exactly what ``/slots/`` gives for the panel, range and step;
    with a pool, only those when at least ``pool_size`` members are also free for the whole slot."""
    panel = link_panel(link)
    duration, step = timedelta(minutes=link.duration), timedelta(minutes=link.step)
    if not uses_pool(link):
        return find_slots(
            candidate=link.candidate, interviewers=panel, start=link.start, end=link.end,
            duration=duration, step=step, tz=tz,
        )
    now = now or timezone.now()
    people = [link.candidate.pk, *(u.pk for u in panel)]
    members = [u.pk for u in link.pool.all()]
    free = free_time([*people, *members], link.start, link.end, now=now)
    found = free_slots(
        [free[pk] for pk in people], bounds=Interval(link.start, link.end),
        duration=duration, step=step, tz=tz, not_before=now,
    )
    return [slot for slot in found if len(free_members(slot, {pk: free[pk] for pk in members})) >= link.pool_size]


def free_members(slot: Interval, free: dict[int, list[Interval]]) -> list[int]:
    """The ids whose (merged, sorted) free time holds the whole slot."""
    found = []
    for pk, stretches in free.items():
        i = bisect_right(stretches, Interval(slot.start, slot.end)) - 1  # the last stretch starting <= slot
        for candidate in stretches[max(i, 0): i + 2]:
            if candidate.contains(slot):
                found.append(pk)
                break
    return sorted(found)


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
