"""Interview requests: HR asks for an interview within a window, and it is booked as soon as it fits.

Whenever a participant's free time changes, their open requests are tried again. A try locks the request
row and books through ``interview_book`` (which re-checks everything under its own locks), so a request is
never booked twice.
"""

from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from core.errors import SlotUnavailable
from core.models import User
from core.timezones import get_zone
from scheduling.models import (
    Interview,
    InterviewRequest,
    InterviewStatus,
    RequestChoice,
    RequestMode,
    RequestStatus,
)
from scheduling.calendar_push import sync_before_booking
from scheduling.services import interview_book
from slots.intervals import Interval
from slots.matcher import find_slots, match

AUTO_STEP = timedelta(minutes=30)


def interview_request_create(
    *,
    candidate: User,
    interviewers: list[User],
    window_start: datetime,
    window_end: datetime,
    duration: int = 60,
    mode: str = RequestMode.PANEL,
    choice: str = RequestChoice.EARLIEST,
    title: str = "",
    timezone_name: str = "UTC",
    created_by: User | None = None,
) -> InterviewRequest:
    request = InterviewRequest(
        candidate=candidate,
        mode=mode,
        choice=choice,
        duration=duration,
        window_start=window_start,
        window_end=window_end,
        title=title,
        timezone=timezone_name,
        created_by=created_by,
    )
    request.full_clean(exclude=["candidate", "created_by", "interview"])
    with transaction.atomic():
        request.save()
        request.interviewers.set(interviewers)
        transaction.on_commit(lambda: async_task("scheduling.tasks.try_interview_request", request.pk), robust=True)
    return request


def interview_request_cancel(*, request: InterviewRequest) -> InterviewRequest:
    InterviewRequest.objects.filter(pk=request.pk, status=RequestStatus.OPEN).update(status=RequestStatus.CANCELLED)
    request.refresh_from_db()
    return request


def _load(interviewers: list[User], start: datetime, end: datetime) -> Counter:
    """How many scheduled interviews each interviewer has in the window (1 query)."""
    rows = Interview.objects.filter(
        status=InterviewStatus.SCHEDULED, start__lt=end, end__gt=start, interviewers__in=interviewers
    ).values_list("interviewers", flat=True)
    return Counter(rows)


def _options(request: InterviewRequest, now: datetime) -> list[tuple[Interval, list[User]]]:
    """Each panel the request allows with its earliest slot, best first."""
    pool = list(request.interviewers.all())
    panels = [pool] if request.mode == RequestMode.PANEL else [[u] for u in pool]
    start = max(request.window_start, now)
    found = []
    for panel in panels:
        slots = find_slots(
            candidate=request.candidate,
            interviewers=panel,
            start=start,
            end=request.window_end,
            duration=timedelta(minutes=request.duration),
            step=AUTO_STEP,
            tz=get_zone(request.timezone),
        )
        found.extend((slot, panel) for slot in slots[:3])  # a few per panel, in case the first is taken
    if request.choice == RequestChoice.LEAST_LOADED:
        load = _load(pool, request.window_start, request.window_end)
        found.sort(key=lambda option: (sum(load[u.pk] for u in option[1]), option[0].start))
    else:
        found.sort(key=lambda option: option[0].start)
    return found


def _explanation(request: InterviewRequest, now: datetime) -> dict | None:
    """Why no slot fits the request: the slots' explanation for its panel, or for one of its pool."""
    people = list(request.interviewers.all())
    one_of = request.mode == RequestMode.ONE_OF
    answer = match(
        candidate=request.candidate,
        interviewers=[] if one_of else people,
        pool=people if one_of else [],
        pool_size=1 if one_of else 0,
        start=max(request.window_start, now),
        end=request.window_end,
        duration=timedelta(minutes=request.duration),
        step=AUTO_STEP,
        tz=get_zone(request.timezone),
    )
    return answer.explanation.as_dict() if answer.explanation else None


def interview_request_try(*, request_id: int) -> str:
    """Book the request if a slot fits now; answers the request's status."""
    pool = [pk for pk in InterviewRequest.objects.filter(pk=request_id).values_list("interviewers", flat=True) if pk]
    sync_before_booking(pool)  # network, so before the lock and the transaction
    now = timezone.now()
    with transaction.atomic():
        request = InterviewRequest.objects.select_for_update().select_related("candidate").filter(pk=request_id).first()
        if request is None or request.status != RequestStatus.OPEN:
            return request.status if request else "missing"
        if request.window_end <= now:
            request.status = RequestStatus.EXPIRED
            request.save(update_fields=["status"])
            return request.status
        request.last_attempt = now
        request.explanation = None
        options = _options(request, now)
        if not options:
            request.explanation = _explanation(request, now)
        for slot, panel in options:
            try:
                interview = interview_book(
                    candidate=request.candidate,
                    interviewers=panel,
                    start=slot.start,
                    duration=slot.end - slot.start,
                    title=request.title,
                    created_by=request.created_by,
                    sync_calendars=False,
                )
            except SlotUnavailable:
                continue
            request.status = RequestStatus.BOOKED
            request.interview = interview
            break
        request.save(update_fields=["status", "interview", "last_attempt", "explanation"])
        return request.status


def interview_requests_try_for_users(*, user_ids: list[int]) -> int:
    """Try every open request that involves one of these users; answers how many got booked."""
    ids = InterviewRequest.objects.filter(
        Q(candidate_id__in=user_ids) | Q(interviewers__in=user_ids), status=RequestStatus.OPEN
    ).values_list("pk", flat=True).distinct()
    return sum(interview_request_try(request_id=pk) == RequestStatus.BOOKED for pk in sorted(set(ids)))


def interview_requests_try_all() -> int:
    ids = InterviewRequest.objects.filter(status=RequestStatus.OPEN).values_list("pk", flat=True)
    return sum(interview_request_try(request_id=pk) == RequestStatus.BOOKED for pk in list(ids))
