"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from scheduling.auto import (
    interview_request_try,
    interview_requests_try_all,
    interview_requests_try_for_users,
)
from scheduling.calendar_push import busy_block_sync, busy_blocks_queue
from scheduling.delivery import invite_send, invites_retry_pending, invites_send


def interview_changed(interview_id: int, delivery_ids: list[int], interviewer_ids: list[int]) -> dict:
    """What a booking, change or cancel leaves to the worker, queued as one task: its invites (one SMTP
    connection), then a task per connected calendar whose busy block must follow."""
    sent = invites_send(delivery_ids=delivery_ids)
    pushes = busy_blocks_queue(interview_id=interview_id, interviewer_ids=interviewer_ids)
    return {"invites": sent, "calendars": pushes}


def send_invites(delivery_ids: list[int]) -> dict[int, str]:
    return invites_send(delivery_ids=delivery_ids)


def send_invite(delivery_id: int) -> str:
    return invite_send(delivery_id=delivery_id)


def retry_pending_invites() -> int:
    return invites_retry_pending()


def try_interview_request(request_id: int) -> str:
    return interview_request_try(request_id=request_id)


def try_interview_requests_for_users(user_ids: list[int]) -> int:
    return interview_requests_try_for_users(user_ids=user_ids)


def try_all_interview_requests() -> int:
    return interview_requests_try_all()


def push_busy_block(interview_id: int, user_id: int, provider: str) -> str:
    return busy_block_sync(interview_id=interview_id, user_id=user_id, provider=provider)
