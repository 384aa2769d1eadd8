"""Interview loops: several sessions (interviews) for one candidate, booked all or none, cancelled together.

A loop is booked in one transaction that first locks every participant of every session in id order (the
same locks a single booking takes, so a loop and a single interview that share anyone run one after the
other), then books each session with the single booking's own steps (``book_locked``). If any session is
not free, the whole transaction rolls back: no session is booked.

Invites: one per session. Each session is its own interview with its own UID, attendees and SEQUENCE, so
every person gets exactly the events they attend (an interviewer is not sent the candidate's other
sessions), each session can later be moved or cancelled on its own with a plain iTIP update, and every
calendar client shows it right: iTIP with several VEVENTs of different UIDs in one message is not handled
by common clients (Outlook and Gmail show one event per invitation).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from core.errors import SlotUnavailable
from core.models import User
from scheduling.calendar_push import sync_before_booking
from scheduling.models import Interview, InterviewStatus, Loop
from scheduling.services import _check_times, _lock, book_locked, interview_cancel

MAX_SESSIONS = 8


class LoopSessionUnavailable(SlotUnavailable):
    """A 409 ``slot_unavailable`` naming the session (its index in the request) that is not free."""

    def __init__(self, index: int, title: str, unavailable: list[int]):
        name = f"Session {index + 1}" + (f" ({title})" if title else "")
        who = f" (not free: users {', '.join(str(pk) for pk in unavailable)})" if unavailable else ""
        super().__init__(f"{name} is not free for every participant{who}; nothing was booked.", unavailable=unavailable)
        self.session = index


@dataclass(frozen=True)
class SessionPlan:
    interviewers: list[User]
    start: datetime
    duration: timedelta
    title: str = ""

    @property
    def end(self) -> datetime:
        return self.start + self.duration


def _check_plan(sessions: list[SessionPlan]) -> None:
    if not 1 <= len(sessions) <= MAX_SESSIONS:
        raise ValidationError({"sessions": [f"A loop has 1 to {MAX_SESSIONS} sessions."]})
    for index, session in enumerate(sessions):
        try:
            _check_times(session.start, session.duration)
        except ValidationError as error:
            raise ValidationError({f"sessions.{index}.{k}": v for k, v in error.detail.items()}) from None
        if not session.interviewers:
            raise ValidationError({f"sessions.{index}.interviewers": ["A session needs at least one interviewer."]})
    ordered = sorted(range(len(sessions)), key=lambda i: sessions[i].start)
    for a, b in zip(ordered, ordered[1:]):
        if sessions[b].start < sessions[a].end:
            raise ValidationError({"sessions": [
                f"Sessions {a + 1} and {b + 1} overlap: the candidate cannot be in both at once."]})


def loop_book(
    *,
    candidate: User,
    sessions: list[SessionPlan],
    title: str = "",
    created_by: User | None = None,
    sync_calendars: bool = True,
) -> Loop:
    """Book every session or none (409 ``slot_unavailable`` naming the first session that is not free)."""
    _check_plan(sessions)
    interviewers = sorted({u.pk for s in sessions for u in s.interviewers})
    if sync_calendars:
        sync_before_booking(interviewers)  # network, within the outbound budget: before the transaction
    with transaction.atomic():
        _lock([candidate.pk, *interviewers])
        loop = Loop(candidate=candidate, title=title, created_by=created_by)
        loop.full_clean(exclude=["candidate", "created_by"])
        loop.save()
        for index, session in enumerate(sessions):
            try:
                with transaction.atomic():
                    book_locked(candidate=candidate, interviewers=session.interviewers, start=session.start,
                                end=session.end, title=session.title or title, created_by=created_by, loop=loop)
            except SlotUnavailable as error:
                raise LoopSessionUnavailable(index, session.title, error.unavailable) from None
            except IntegrityError:  # the database's own no-overlap constraint (PostgreSQL)
                raise LoopSessionUnavailable(index, session.title, []) from None
    return loop


def loop_cancel(*, loop: Loop) -> Loop:
    """Cancel every session of the loop (each sends its CANCEL invites); cancelling twice changes nothing."""
    people = set(Interview.objects.filter(loop=loop).values_list("candidate_id", flat=True))
    people |= set(Interview.interviewers.through.objects.filter(interview__loop=loop).values_list("user_id", flat=True))
    with transaction.atomic():
        _lock(sorted(people | {loop.candidate_id}))
        loop = Loop.objects.select_for_update().get(pk=loop.pk)
        if loop.status == InterviewStatus.CANCELLED:
            return loop
        for interview in Interview.objects.filter(loop=loop, status=InterviewStatus.SCHEDULED).order_by("pk"):
            interview_cancel(interview=interview)
        loop.status = InterviewStatus.CANCELLED
        loop.cancelled_at = timezone.now()
        loop.save(update_fields=["status", "cancelled_at"])
    return loop
