"""Booking, rescheduling and cancelling interviews.

Each runs in one transaction that first locks the participants' user rows in id order, so two bookings
that share anyone run one after the other and the second sees the first's busy time. On PostgreSQL an
exclusion constraint over interview busy periods backs this up in the database itself; on SQLite every
write transaction takes the database's write lock when it starts (IMMEDIATE), which serialises them.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework.exceptions import ValidationError

from core.errors import Conflict, SlotUnavailable
from core.models import User
from scheduling.calendar_push import sync_before_booking
from scheduling.models import Interview, InterviewStatus, InviteDelivery, InviteMethod
from slots.intervals import Interval
from slots.models import BusyPeriod, BusySource
from slots.selectors import free_time
from slots.services import announce_free_time_changed

MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(minutes=480)


def _lock(user_ids: list[int]) -> None:
    list(User.objects.select_for_update().filter(pk__in=sorted(user_ids)).order_by("pk").values_list("pk", flat=True))


def _check_free(people: list[int], start: datetime, end: datetime, *, exclude_interview: int | None = None) -> None:
    # the interview's own time is enough: what a policy needs around it is read by the selector
    free = free_time(people, start, end, now=timezone.now(), exclude_interview=exclude_interview)
    wanted = Interval(start, end)
    unavailable = [pk for pk in people if not any(stretch.contains(wanted) for stretch in free[pk])]
    if unavailable:
        names = ", ".join(str(pk) for pk in unavailable)
        raise SlotUnavailable(f"The time is not free for every participant (not free: users {names}).", unavailable=unavailable)


def _check_times(start: datetime, duration: timedelta) -> None:
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ValidationError({"duration": ["duration must be 15 to 480 minutes."]})
    if start < timezone.now():
        raise ValidationError({"start": ["An interview cannot start in the past."]})


def _people(interview: Interview) -> list[int]:
    return [interview.candidate_id, *interview.interviewers.values_list("pk", flat=True)]


def _announce(interview: Interview, *, requests: list[int], cancels: list[int] = (), calendars: list[int]) -> None:
    """Write the invites (REQUEST to ``requests``, CANCEL to ``cancels``) to the outbox, and after commit hand
    the worker one task for the invites and these interviewers' calendar blocks: one broker round trip."""
    deliveries = InviteDelivery.objects.bulk_create(
        [InviteDelivery(interview=interview, recipient_id=pk, method=InviteMethod.REQUEST, sequence=interview.sequence)
         for pk in requests]
        + [InviteDelivery(interview=interview, recipient_id=pk, method=InviteMethod.CANCEL, sequence=interview.sequence)
           for pk in cancels]
    )
    args = (interview.pk, [d.pk for d in deliveries], list(calendars))
    transaction.on_commit(lambda: async_task("scheduling.tasks.interview_changed", *args), robust=True)


def interview_book(
    *,
    candidate: User,
    interviewers: list[User],
    start: datetime,
    duration: timedelta = timedelta(minutes=60),
    title: str = "",
    created_by: User | None = None,
    sync_calendars: bool = True,
) -> Interview:
    """Book when the whole interval is free for everyone (409 ``slot_unavailable`` naming who is not).
    ``sync_calendars`` first refreshes the interviewers' connected calendars within the outbound budget
    (network: not inside a transaction)."""
    _check_times(start, duration)
    end = start + duration
    people = [candidate.pk, *(i.pk for i in interviewers)]
    if sync_calendars:
        sync_before_booking(people[1:])
    try:
        with transaction.atomic():
            _lock(people)
            interview = book_locked(candidate=candidate, interviewers=interviewers, start=start, end=end,
                                    title=title, created_by=created_by)
    except IntegrityError:
        raise SlotUnavailable() from None
    return interview


def book_locked(
    *,
    candidate: User,
    interviewers: list[User],
    start: datetime,
    end: datetime,
    title: str = "",
    created_by: User | None = None,
    loop=None,
) -> Interview:
    """The part of a booking that runs inside the transaction, once everyone's row is locked (``_lock``):
    check that all are free, write the interview and its busy time, queue its invites and calendar blocks.
    Shared by single bookings and loops."""
    people = [candidate.pk, *(i.pk for i in interviewers)]
    _check_free(people, start, end)
    interview = Interview(candidate=candidate, title=title, start=start, end=end, created_by=created_by, loop=loop)
    # fields only: the uid is a fresh uuid4 and the database checks end > start (no queries for either)
    interview.full_clean(exclude=["candidate", "created_by", "loop"], validate_unique=False, validate_constraints=False)
    interview.save()
    Interview.interviewers.through.objects.bulk_create(
        Interview.interviewers.through(interview=interview, user_id=u.pk) for u in interviewers
    )
    BusyPeriod.objects.bulk_create(
        BusyPeriod(user_id=pk, start=start, end=end, source=BusySource.INTERVIEW, interview=interview)
        for pk in people
    )
    _announce(interview, requests=people, calendars=people[1:])
    return interview


def _locked_interview(interview_id: int) -> Interview:
    return Interview.objects.select_for_update().get(pk=interview_id)


def interview_reschedule(*, interview: Interview, start: datetime, duration: timedelta | None = None) -> Interview:
    return interview_update(interview=interview, start=start, duration=duration)


def interview_update(
    *,
    interview: Interview,
    start: datetime | None = None,
    duration: timedelta | None = None,
    title: str | None = None,
    interviewers: list[User] | None = None,
    sync_calendars: bool = True,
) -> Interview:
    """Change an interview's time, title or panel, under the same locks as a booking.

    A new time is checked for everyone; a changed panel is checked for the interviewers who join (and for
    everyone when the time moves too). Any change puts ``sequence`` up by one and sends every participant
    the updated invite; an interviewer who leaves the panel gets a CANCEL.
    """
    current_panel = list(interview.interviewers.values_list("pk", flat=True))
    new_panel = current_panel if interviewers is None else list(dict.fromkeys(u.pk for u in interviewers))
    if not new_panel:
        raise ValidationError({"interviewers": ["At least one interviewer id is required."]})
    if interview.candidate_id in new_panel:
        raise ValidationError({"interviewers": ["The candidate cannot be on the panel."]})
    moving = start is not None or duration is not None
    new_start = interview.start if start is None else start
    new_duration = duration or (interview.end - interview.start)
    if moving:
        _check_times(new_start, new_duration)
    joining = [pk for pk in new_panel if pk not in current_panel]
    if sync_calendars and (joining or moving):
        sync_before_booking(new_panel if moving else joining)
    everyone = [interview.candidate_id, *dict.fromkeys(current_panel + new_panel)]
    try:
        with transaction.atomic():
            _lock(everyone)
            interview = _locked_interview(interview.pk)
            if interview.status != InterviewStatus.SCHEDULED:
                raise Conflict("A cancelled interview cannot be changed.")
            current_panel = list(interview.interviewers.values_list("pk", flat=True))
            joining = [pk for pk in new_panel if pk not in current_panel]
            leaving = [pk for pk in current_panel if pk not in new_panel]
            new_end = new_start + new_duration
            moved = (new_start, new_end) != (interview.start, interview.end)
            retitled = title is not None and title != interview.title
            if not (moved or retitled or joining or leaving):
                return interview
            people = [interview.candidate_id, *new_panel]
            if moved:
                _check_free(people, new_start, new_end, exclude_interview=interview.pk)
            elif joining:
                _check_free(joining, new_start, new_end, exclude_interview=interview.pk)
            interview.start, interview.end = new_start, new_end
            if retitled:
                interview.title = title
            interview.sequence += 1
            interview.save(update_fields=["start", "end", "title", "sequence", "updated"])
            if leaving:
                interview.interviewers.remove(*leaving)
                BusyPeriod.objects.filter(interview=interview, user_id__in=leaving).delete()
            if joining:
                interview.interviewers.add(*joining)
            if moved:
                BusyPeriod.objects.filter(interview=interview).update(start=new_start, end=new_end)
            BusyPeriod.objects.bulk_create(
                BusyPeriod(user_id=pk, start=new_start, end=new_end, source=BusySource.INTERVIEW, interview=interview)
                for pk in joining
            )
            _announce(interview, requests=people, cancels=leaving, calendars=[*new_panel, *leaving])
            announce_free_time_changed(people + leaving if moved else leaving)
    except IntegrityError:
        raise SlotUnavailable() from None
    return interview


MAX_REASON_LENGTH = 1000


def interview_cancel(*, interview: Interview, reason: str = "") -> Interview:
    """Cancel: the time is free again and everyone gets a CANCEL carrying the reason (if any)."""
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": [f"At most {MAX_REASON_LENGTH} characters."]})
    people = _people(interview)
    with transaction.atomic():
        _lock(people)
        interview = _locked_interview(interview.pk)
        if interview.status == InterviewStatus.CANCELLED:
            return interview
        interview.status = InterviewStatus.CANCELLED
        interview.sequence += 1
        interview.cancelled_at = timezone.now()
        interview.cancel_reason = reason
        interview.save(update_fields=["status", "sequence", "cancelled_at", "cancel_reason", "updated"])
        BusyPeriod.objects.filter(interview=interview).delete()
        _announce(interview, requests=[], cancels=people, calendars=people[1:])
        announce_free_time_changed(people)
    return interview
