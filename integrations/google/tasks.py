"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from django_q.tasks import async_task

from integrations.google.services import google_sync, google_sync_all


def sync_google(user_id: int) -> str:
    return google_sync(user_id=user_id)


def sync_all_google() -> int:
    return google_sync_all()


def busy_block_sync(interview_id: int, user_id: int) -> None:
    """Tasks queued under this name before the provider registry: passed on to scheduling's task."""
    async_task("scheduling.tasks.push_busy_block", interview_id, user_id, "google")
