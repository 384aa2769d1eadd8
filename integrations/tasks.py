"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from integrations.services import subscription_sync, subscriptions_refresh_due


def sync_subscription(source_id: int) -> str:
    return subscription_sync(source_id=source_id, claim=True)


def refresh_subscriptions() -> int:
    return subscriptions_refresh_due()
