"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from core import calendar_providers
from integrations.services import subscription_sync, subscriptions_refresh_due


def sync_subscription(source_id: int) -> str:
    return subscription_sync(source_id=source_id, claim=True)


def refresh_subscriptions() -> int:
    return subscriptions_refresh_due()


def sync_calendar(provider: str, user_id: int) -> str:
    """A full sync of one connected calendar (left to the worker when a booking could not wait for it)."""
    return calendar_providers.sync(provider=provider, user_id=user_id)


def sync_all_calendars() -> int:
    return calendar_providers.queue_all_syncs()
