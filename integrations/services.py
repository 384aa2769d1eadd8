"""Importing calendars: a file or a URL becomes busy periods or availability windows of one user.

Importing the same source (file name or URL) again replaces what it produced before; nothing from other
sources is touched. Subscriptions are URL sources refreshed on a schedule, with ETag/Last-Modified.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from core.models import User
from core.timezones import get_zone
from integrations.ical import fetch as ical_fetch
from integrations.ical.parse import CalendarError, Limits, parse_calendar
from integrations.models import CalendarKind, CalendarSource
from slots.intervals import Interval
from slots.models import AvailabilitySource, AvailabilityWindow, BusyPeriod, BusySource
from slots.services import announce_free_time_changed

logger = logging.getLogger(__name__)


def fetch_policy() -> ical_fetch.Policy:
    return ical_fetch.Policy(
        max_bytes=settings.ICAL_MAX_BYTES,
        timeout=settings.ICAL_FETCH_TIMEOUT_SECONDS,
        allow_private=settings.ICAL_URL_ALLOW_PRIVATE,
        allowed_networks=tuple(settings.ICAL_URL_ALLOWED_NETWORKS),
    )


def import_window() -> Interval:
    now = timezone.now()
    return Interval(now - timedelta(days=1), now + timedelta(days=settings.ICAL_EXPAND_DAYS))


def _parse(user: User, content: bytes, kind: str) -> list[Interval]:
    limits = Limits(max_bytes=settings.ICAL_MAX_BYTES, max_periods=settings.ICAL_MAX_PERIODS)
    return parse_calendar(content, kind=kind, tz=get_zone(user.timezone), window=import_window(), limits=limits)


def _replace_periods(source: CalendarSource, periods: list[Interval]) -> None:
    source.windows.all().delete()
    source.busy_periods.all().delete()
    if source.kind == CalendarKind.AVAILABLE:
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(user_id=source.user_id, start=p.start, end=p.end, source=AvailabilitySource.ICAL,
                               import_source=source)
            for p in periods
        )
    else:
        BusyPeriod.objects.bulk_create(
            BusyPeriod(user_id=source.user_id, start=p.start, end=p.end, source=BusySource.ICAL, import_source=source)
            for p in periods
        )


def calendar_import(
    *, user: User, name: str, content: bytes, kind: str, url: str = "", is_subscription: bool = False
) -> CalendarSource:
    """Parse ``content`` and make it the source's periods, replacing earlier ones. Raises CalendarError."""
    periods = _parse(user, content, kind)
    with transaction.atomic():
        source, _ = CalendarSource.objects.select_for_update().get_or_create(
            user=user, name=name, defaults={"kind": kind, "url": url, "is_subscription": is_subscription}
        )
        if source.kind != kind:
            source.busy_periods.all().delete()
            source.windows.all().delete()
        source.kind = kind
        source.url = url
        source.is_subscription = source.is_subscription or is_subscription
        _replace_periods(source, periods)
        source.periods = len(periods)
        source.last_synced = timezone.now()
        source.last_error = ""
        source.save()
        announce_free_time_changed([user.pk])
    return source


def calendar_import_url(*, user: User, url: str, kind: str) -> CalendarSource:
    """Fetch and import a URL once. Raises FetchError or CalendarError."""
    fetched = ical_fetch.fetch(url, fetch_policy())
    return calendar_import(user=user, name=url, content=fetched.content, kind=kind, url=url)


def subscription_create(*, user: User, url: str, kind: str) -> CalendarSource:
    ical_fetch.check_url(url)  # refuse a scheme or form we will never fetch, at once
    with transaction.atomic():
        source, created = CalendarSource.objects.get_or_create(
            user=user, name=url, defaults={"url": url, "kind": kind, "is_subscription": True}
        )
        if not created:
            source.kind, source.is_subscription, source.etag, source.last_modified = kind, True, "", ""
            source.save(update_fields=["kind", "is_subscription", "etag", "last_modified"])
        transaction.on_commit(lambda: async_task("integrations.tasks.sync_subscription", source.pk), robust=True)
    return source


def subscription_delete(*, source: CalendarSource) -> None:
    with transaction.atomic():
        source.delete()  # its periods go with it
        announce_free_time_changed([source.user_id])


def subscription_sync(*, source_id: int) -> str:
    """Refresh one subscription; its error, if any, is kept for the user to see. Safe to run twice."""
    source = CalendarSource.objects.select_related("user").filter(pk=source_id, is_subscription=True).first()
    if source is None:
        return "missing"
    try:
        fetched = ical_fetch.fetch(source.url, fetch_policy(), etag=source.etag, last_modified=source.last_modified)
        if fetched.not_modified:
            CalendarSource.objects.filter(pk=source.pk).update(last_synced=timezone.now(), last_error="")
            return "not modified"
        calendar_import(user=source.user, name=source.name, content=fetched.content, kind=source.kind,
                        url=source.url, is_subscription=True)
        CalendarSource.objects.filter(pk=source.pk).update(etag=fetched.etag[:512], last_modified=fetched.last_modified[:128])
        return "synced"
    except (ical_fetch.FetchError, CalendarError) as exc:
        CalendarSource.objects.filter(pk=source.pk).update(last_error=str(exc)[:2000])
        logger.info("subscription %s failed: %s", source.pk, exc)
        return "failed"


def subscriptions_refresh_due() -> int:
    """Queue a refresh of every subscription not synced for the refresh interval."""
    due_before = timezone.now() - timedelta(minutes=settings.ICAL_SUBSCRIPTION_REFRESH_MINUTES)
    ids = list(
        CalendarSource.objects.filter(is_subscription=True)
        .exclude(last_synced__gt=due_before)
        .values_list("pk", flat=True)
    )
    for source_id in ids:
        async_task("integrations.tasks.sync_subscription", source_id)
    return len(ids)
