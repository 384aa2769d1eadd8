"""The /metrics answer: the processes' own samples (all gunicorn workers, and bin/worker when it shares the
multiprocess directory) plus figures read from the database at scrape time, which hold for every machine."""

import logging
import os

from django.db.models import Count, Q
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)


class DatabaseCollector:
    """Invite deliveries by state, calendar connections by state, and the task queue's length."""

    def collect(self):
        from integrations.models import CalendarSource, GoogleConnection
        from scheduling.models import DeliveryStatus, InviteDelivery

        deliveries = GaugeMetricFamily(
            "interviews_invite_deliveries",
            "Invite deliveries in the outbox by state (failed: pending again after a failed send)",
            labels=["state"],
        )
        row = InviteDelivery.objects.aggregate(
            sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
            pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING, last_error="")),
            failed=Count("pk", filter=Q(status=DeliveryStatus.PENDING) & ~Q(last_error="")),
            sending=Count("pk", filter=Q(status=DeliveryStatus.SENDING)),
            superseded=Count("pk", filter=Q(status=DeliveryStatus.SUPERSEDED)),
        )
        for state, value in row.items():
            deliveries.add_metric([state], value)
        yield deliveries

        calendars = GaugeMetricFamily(
            "interviews_calendar_connections",
            "Calendar connections and subscriptions by kind and state of their last sync",
            labels=["kind", "state"],
        )
        for kind, model, filter_ in (
            ("google", GoogleConnection, Q()),
            ("ical", CalendarSource, Q(is_subscription=True)),
        ):
            row = model.objects.filter(filter_).aggregate(
                ok=Count("pk", filter=Q(last_error="")), error=Count("pk", filter=~Q(last_error=""))
            )
            for state, value in row.items():
                calendars.add_metric([kind, state], value)
        yield calendars

        queue = GaugeMetricFamily("interviews_task_queue_length", "Tasks waiting in the broker's queue")
        try:
            from django_q.brokers import get_broker

            queue.add_metric([], get_broker().queue_size())
        except Exception as exc:  # the broker is down: say so in the log, leave the figure out
            logger.warning("task queue length unavailable: %s", exc)
        else:
            yield queue


def render() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        registry.register(DatabaseCollector())
        return generate_latest(registry), CONTENT_TYPE_LATEST
    registry.register(DatabaseCollector())
    return generate_latest(REGISTRY) + generate_latest(registry), CONTENT_TYPE_LATEST
