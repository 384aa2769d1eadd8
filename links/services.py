"""Writing scheduling links: create, revoke, and the candidate's book / reschedule / cancel.

Every booking goes through ``scheduling.services`` (participant locks, the exclusion constraint, invites,
calendar pushes, policies). A link's own row is locked first, so one link never books twice; with a pool,
the candidate, the panel and every pool member are locked (in id order, as the booking service does) before
the interviewer is chosen, so the choice and the booking see the same busy time.
"""

from datetime import datetime, timedelta, tzinfo

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, SlotUnavailable
from core.models import User
from links.errors import Gone
from links.models import LinkStatus, SchedulingLink
from links.selectors import (
    booked_interview,
    link_status,
    link_zone,
    week_of,
    weekly_load,
)
from links.tokens import hash_link_token, link_token
from scheduling.calendar_push import sync_before_booking
from scheduling.models import Interview
from scheduling.services import interview_book, interview_cancel, interview_reschedule
from slots.intervals import Interval
from slots.pools import Pool
from slots.selectors import free_time

TAKEN = "That time was just taken. Please pick another."
_CONTEXT = timedelta(days=1)


def link_create(
    *,
    candidate: User,
    interviewers: list[User],
    pool: list[User],
    pool_size: int,
    duration: int,
    step: int,
    start: datetime,
    end: datetime,
    expires_at: datetime,
    title: str = "",
    timezone_name: str = "UTC",
    created_by: User | None = None,
) -> tuple[SchedulingLink, str]:
    """The new link and its token (shown once to HR, and in the candidate's invites)."""
    link = SchedulingLink(
        candidate=candidate, pool_size=pool_size if pool else 0, duration=duration, step=step,
        start=start, end=end, expires_at=expires_at, title=title, timezone=timezone_name, created_by=created_by,
    )
    token = link_token(link.salt)
    link.token_hash = hash_link_token(token)
    link.full_clean(exclude=["candidate", "created_by", "interview"])
    with transaction.atomic():
        link.save()
        link.interviewers.set(interviewers)
        link.pool.set(pool)
    return link, token


def link_revoke(*, link: SchedulingLink) -> SchedulingLink:
    SchedulingLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db(fields=["revoked_at"])
    return link


def _on_grid(start: datetime, step: int, tz: tzinfo) -> bool:
    """``start``'s wall-clock time in ``tz`` is a whole multiple of ``step`` minutes after local midnight
    (the slot grid of API.md)."""
    wall = start.astimezone(tz)
    return wall.second == 0 and wall.microsecond == 0 and (wall.hour * 60 + wall.minute) % step == 0


def _check_offered(link: SchedulingLink, start: datetime, tz: tzinfo) -> None:
    """Only a start the link could offer: inside its range and on its grid (free time is checked when
    booking, under the locks)."""
    end = start + timedelta(minutes=link.duration)
    if not (link.start <= start and end <= link.end) or not _on_grid(start, link.step, tz):
        raise SlotUnavailable("That time is not one this link offers. Please pick one of the times shown.")


def _locked(link_id: int) -> SchedulingLink:
    link = SchedulingLink.objects.select_for_update().get(pk=link_id)
    status = link_status(link)
    if status in (LinkStatus.REVOKED, LinkStatus.EXPIRED):
        raise Gone(f"This scheduling link has {'been revoked' if status == LinkStatus.REVOKED else 'expired'}.")
    return link


def _lock_people(user_ids: list[int]) -> None:
    list(User.objects.select_for_update().filter(pk__in=sorted(set(user_ids))).order_by("pk").values_list("pk", flat=True))


def _choose_from_pool(link: SchedulingLink, panel: list[User], start: datetime, end: datetime) -> list[User]:
    """``pool_size`` members free for the whole slot: the least loaded that week, then the earliest id."""
    members = {u.pk: u for u in link.pool.all() if u.pk not in {p.pk for p in panel}}
    _lock_people([link.candidate_id, *(u.pk for u in panel), *members])
    slot = Interval(start, end)
    free = free_time(list(members), start - _CONTEXT, end + _CONTEXT, now=timezone.now())
    available = Pool(free).free_for(slot)
    if len(available) < link.pool_size:
        raise SlotUnavailable(TAKEN)
    load = weekly_load(available, week_of(start, link_zone(link)))
    available.sort(key=lambda pk: (load[pk], pk))
    return [members[pk] for pk in available[: link.pool_size]]


def _people_ids(link: SchedulingLink) -> list[int]:
    return [*link.interviewers.values_list("pk", flat=True), *link.pool.values_list("pk", flat=True)]


def link_book(*, link: SchedulingLink, start: datetime, tz: tzinfo) -> Interview:
    """Book the link's interview at ``start`` (409 ``slot_unavailable`` when taken meanwhile, ``conflict``
    when the link already has one)."""
    sync_before_booking(_people_ids(link))  # network, within the outbound budget: before the locks and the transaction
    with transaction.atomic():
        link = _locked(link.pk)
        if booked_interview(link) is not None:
            raise Conflict("An interview is already booked through this link; reschedule or cancel it instead.")
        _check_offered(link, start, tz)
        panel = list(link.interviewers.all())
        end = start + timedelta(minutes=link.duration)
        if link.pool_size:
            panel += _choose_from_pool(link, panel, start, end)
        try:
            interview = interview_book(
                candidate=link.candidate, interviewers=panel, start=start, duration=end - start,
                title=link.title, created_by=link.created_by, sync_calendars=False,
            )
        except SlotUnavailable:
            raise SlotUnavailable(TAKEN) from None  # without the user ids the booking service names
        link.interview = interview
        link.save(update_fields=["interview"])
    return interview


def link_reschedule(*, link: SchedulingLink, start: datetime, tz: tzinfo) -> Interview:
    with transaction.atomic():
        link = _locked(link.pk)
        interview = booked_interview(link)
        if interview is None:
            raise Conflict("Nothing is booked through this link yet; book a time first.")
        _check_offered(link, start, tz)
        try:
            return interview_reschedule(interview=interview, start=start, duration=timedelta(minutes=link.duration))
        except SlotUnavailable:
            raise SlotUnavailable(TAKEN) from None


def link_cancel(*, link: SchedulingLink) -> Interview:
    """Cancel the booked interview; the link is open again until it expires."""
    with transaction.atomic():
        link = _locked(link.pk)
        interview = booked_interview(link)
        if interview is None:
            raise Conflict("Nothing is booked through this link to cancel.")
        return interview_cancel(interview=interview)
