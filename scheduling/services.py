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
from scheduling.calendar_push import queue_busy_block_sync, sync_before_booking
from scheduling.models import Interview, InterviewStatus, InviteDelivery, InviteMethod
from slots.intervals import Interval
from slots.models import BusyPeriod, BusySource
from slots.selectors import free_time
from slots.services import announce_free_time_changed

MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(minutes=480)
_CONTEXT = timedelta(days=1)


def _lock(user_ids: list[int]) -> None:
    list(User.objects.select_for_update().filter(pk__in=sorted(user_ids)).order_by("pk").values_list("pk", flat=True))


def _check_free(people: list[int], start: datetime, end: datetime, *, exclude_interview: int | None = None) -> None:
    free = free_time(people, start - _CONTEXT, end + _CONTEXT, now=timezone.now(), exclude_interview=exclude_interview)
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


def _queue_invites(interview: Interview, people: list[int], method: str) -> None:
    deliveries = InviteDelivery.objects.bulk_create(
        InviteDelivery(interview=interview, recipient_id=pk, method=method, sequence=interview.sequence)
        for pk in people
    )
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: async_task("scheduling.tasks.send_invite", pk), robust=True)


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
    interview.full_clean(exclude=["candidate", "created_by", "loop"])
    interview.save()
    interview.interviewers.set(interviewers)
    BusyPeriod.objects.bulk_create(
        BusyPeriod(user_id=pk, start=start, end=end, source=BusySource.INTERVIEW, interview=interview)
        for pk in people
    )
    _queue_invites(interview, people, InviteMethod.REQUEST)
    queue_busy_block_sync(interview, people[1:])
    return interview


def _locked_interview(interview_id: int) -> Interview:
    return Interview.objects.select_for_update().get(pk=interview_id)


def interview_reschedule(*, interview: Interview, start: datetime, duration: timedelta | None = None) -> Interview:
    duration = duration or (interview.end - interview.start)
    _check_times(start, duration)
    end = start + duration
    people = _people(interview)
    try:
        with transaction.atomic():
            _lock(people)
            interview = _locked_interview(interview.pk)
            if interview.status != InterviewStatus.SCHEDULED:
                raise Conflict("A cancelled interview cannot be rescheduled.")
            if (interview.start, interview.end) == (start, end):
                return interview
            _check_free(people, start, end, exclude_interview=interview.pk)
            interview.start, interview.end = start, end
            interview.sequence += 1
            interview.save(update_fields=["start", "end", "sequence", "updated"])
            BusyPeriod.objects.filter(interview=interview).update(start=start, end=end)
            _queue_invites(interview, people, InviteMethod.REQUEST)
            queue_busy_block_sync(interview, people[1:])
            announce_free_time_changed(people)
    except IntegrityError:
        raise SlotUnavailable() from None
    return interview


def interview_cancel(*, interview: Interview) -> Interview:
    people = _people(interview)
    with transaction.atomic():
        _lock(people)
        interview = _locked_interview(interview.pk)
        if interview.status == InterviewStatus.CANCELLED:
            return interview
        interview.status = InterviewStatus.CANCELLED
        interview.sequence += 1
        interview.cancelled_at = timezone.now()
        interview.save(update_fields=["status", "sequence", "cancelled_at", "updated"])
        BusyPeriod.objects.filter(interview=interview).delete()
        _queue_invites(interview, people, InviteMethod.CANCEL)
        queue_busy_block_sync(interview, people[1:])
        announce_free_time_changed(people)
    return interview
