"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from integrations.google.services import busy_block_sync as _busy_block_sync
from integrations.google.services import google_sync, google_sync_all


def sync_google(user_id: int) -> str:
    return google_sync(user_id=user_id)


def sync_all_google() -> int:
    return google_sync_all()


def busy_block_sync(interview_id: int, user_id: int) -> str:
    return _busy_block_sync(interview_id=interview_id, user_id=user_id)
