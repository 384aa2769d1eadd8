"""The seam between bookings and interviewers' connected calendars, through the provider registry only:
before a booking, a quick sync within the outbound budget; after commit, the worker queues a task per
interviewer and provider that brings that calendar's busy block in line with the interview (insert, move
or delete). Which interviewers have a calendar is looked up by the worker, not in the booking request."""

from django_q.tasks import async_task

from core import calendar_providers as providers
from scheduling.models import Interview, InterviewStatus


def sync_before_booking(user_ids: list[int]) -> None:
    """Fresh busy time for these people within the booking budget (network: call outside a transaction)."""
    providers.sync_before_booking(user_ids=user_ids)


def busy_blocks_queue(*, interview_id: int, interviewer_ids: list[int]) -> list[str]:
    """A task per connected calendar of these interviewers (the worker's side of a booking)."""
    queued = []
    for name, user_id in providers.connected(interviewer_ids):
        async_task("scheduling.tasks.push_busy_block", interview_id, user_id, name)
        queued.append(f"{name}:{user_id}")
    return queued


def busy_block(interview: Interview, user_id: int) -> providers.BusyBlock:
    active = interview.status == InterviewStatus.SCHEDULED and interview.interviewers.filter(pk=user_id).exists()
    return providers.BusyBlock(
        key=providers.block_key(interview.uid, user_id),
        interview_id=interview.pk,
        interview_uid=interview.uid,
        title=interview.display_title,
        start=interview.start,
        end=interview.end,
        sequence=interview.sequence,
        active=active,
    )


def busy_block_sync(*, interview_id: int, user_id: int, provider: str | None = None) -> str:
    """Bring the interviewer's calendar (one provider, or every connected one) in line with the interview.
    Safe to run twice; a transient provider error raises, so the task is tried again later."""
    interview = Interview.objects.filter(pk=interview_id).first()
    if interview is None:
        return "nothing to do"
    names = [provider] if provider else [name for name, _ in providers.connected([user_id])]
    if not names:
        return "nothing to do"
    block = busy_block(interview, user_id)
    return ", ".join(providers.busy_block_push(provider=name, user_id=user_id, block=block) for name in names)
