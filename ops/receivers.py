"""Hooks: the database cache's table made by migrate; background tasks counted in the metrics."""

from django.conf import settings
from django.core.management import call_command

from core import metrics

# Tasks that sync a calendar, by kind (the worker's calendar syncs in the metrics).
CALENDAR_SYNC_TASKS = {
    "integrations.google.tasks.sync_google": "google",
    "integrations.google.tasks.sync_all_google": "google",
    "integrations.tasks.sync_subscription": "ical",
    "integrations.tasks.refresh_subscriptions": "ical",
}


def create_cache_table(*, using: str = "default", verbosity: int = 1, **kwargs) -> None:
    """``migrate`` creates the database cache's table (a no-op when it exists). Made with Redis as well, so that
    a deploy that drops REDIS_URL later finds it there."""
    call_command("createcachetable", settings.CACHE_TABLE, database=using, verbosity=0)


def count_task(*, task: dict, **kwargs) -> None:
    """django-q2's monitor process calls this after each task."""
    func = task.get("func")
    name = func if isinstance(func, str) else f"{getattr(func, '__module__', '?')}.{getattr(func, '__name__', '?')}"
    result = "success" if task.get("success") else "failure"
    metrics.tasks_total.labels(name, result).inc()
    kind = CALENDAR_SYNC_TASKS.get(name)
    if kind:
        metrics.calendar_syncs_total.labels(kind, result).inc()
