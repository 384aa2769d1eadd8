"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from integrations.google.services import google_sync, google_sync_all


def sync_google(user_id: int) -> str:
    return google_sync(user_id=user_id)


def sync_all_google() -> int:
    return google_sync_all()
