"""Importing calendars: a file or a URL becomes busy periods or availability windows of one user.

Importing the same source (file name or URL) again replaces what it produced before; nothing from other
sources is touched. Subscriptions are URL sources refreshed on a schedule, with ETag/Last-Modified; one that
fails is not tried again for an hour. Every calendar is parsed in a bounded child process (``sandbox.py``).
Events that cannot be placed in time are left out and listed on the source (``skipped``), with ``warnings``.
A subscription's Basic auth password is stored encrypted (the Google token helper) and never shown.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from core.models import User
from core.quotas import check_quota
from core.timezones import get_zone
from integrations.google.crypto import decrypt, encrypt
from integrations.ical import fetch as ical_fetch
from integrations.ical.parse import CalendarError, Limits, Result
from integrations.ical.sandbox import parse_in_child
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


FAILED_RETRY_MINUTES = 60
_KEPT = 100  # skipped events and warnings stored on a source


def _parse(user: User, content: bytes, kind: str) -> Result:
    limits = Limits(max_bytes=settings.ICAL_MAX_BYTES, max_periods=settings.ICAL_MAX_PERIODS,
                    max_seconds=settings.ICAL_PARSE_SECONDS)
    return parse_in_child(content, kind=kind, tz=get_zone(user.timezone).key, window=import_window(), limits=limits,
                          max_memory_mb=settings.ICAL_PARSE_MEMORY_MB)


def error_text(exc: Exception) -> str:
    """One line for ``last_error``: the headline and, for a calendar, its first reasons."""
    messages = getattr(exc, "messages", None) or [str(exc)]
    return " ".join(messages[:4])[:2000]


def source_credentials(source: CalendarSource) -> ical_fetch.Credentials | None:
    if not source.username and not source.password_encrypted:
        return None
    return ical_fetch.Credentials(source.username, decrypt(source.password_encrypted))


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


def _check_room_for(user: User, name: str) -> None:
    """A calendar new to this person counts against their quota (importing one again replaces it)."""
    sources = CalendarSource.objects.filter(user=user)
    if not sources.filter(name=name).exists():
        check_quota(sources, adding=1, limit=settings.MAX_CALENDARS_PER_USER,
                    what="imported calendars and subscriptions")


def calendar_import(
    *, user: User, name: str, content: bytes, kind: str, url: str = "", is_subscription: bool = False
) -> CalendarSource:
    """Parse ``content`` and make it the source's periods, replacing earlier ones. Raises CalendarError."""
    _check_room_for(user, name)
    result = _parse(user, content, kind)
    periods = result.periods
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
        source.skipped = [s.as_dict() for s in result.skipped[:_KEPT]]
        source.warnings = result.warnings[:_KEPT]
        source.last_synced = timezone.now()
        source.last_error = ""
        source.save()
        announce_free_time_changed([user.pk])
    return source


def calendar_import_url(*, user: User, url: str, kind: str, username: str = "", password: str = "") -> CalendarSource:
    """Fetch and import a URL once (credentials, if any, are used and not kept). Raises FetchError or CalendarError."""
    credentials = ical_fetch.Credentials(username, password) if username or password else None
    fetched = ical_fetch.fetch(url, fetch_policy(), credentials=credentials)
    return calendar_import(user=user, name=url, content=fetched.content, kind=kind, url=url)


def subscription_create(*, user: User, url: str, kind: str, username: str = "", password: str = "") -> CalendarSource:
    ical_fetch.check_url(url)  # refuse a scheme or form we will never fetch, at once
    _check_room_for(user, url)
    secret = encrypt(password)
    with transaction.atomic():
        source, created = CalendarSource.objects.get_or_create(
            user=user, name=url,
            defaults={"url": url, "kind": kind, "is_subscription": True, "username": username,
                      "password_encrypted": secret},
        )
        if not created:
            source.kind, source.is_subscription, source.etag, source.last_modified = kind, True, "", ""
            source.username, source.password_encrypted, source.next_attempt = username, secret, None
            source.save(update_fields=["kind", "is_subscription", "etag", "last_modified", "username",
                                       "password_encrypted", "next_attempt"])
        transaction.on_commit(lambda: async_task("integrations.tasks.sync_subscription", source.pk), robust=True)
    return source


def subscription_delete(*, source: CalendarSource) -> None:
    with transaction.atomic():
        source.delete()  # its periods go with it
        announce_free_time_changed([source.user_id])


def _claim(source_id: int) -> bool:
    """Take the subscription for one attempt (a conditional update: a second queued copy finds it taken)."""
    now = timezone.now()
    return bool(
        CalendarSource.objects.filter(pk=source_id, is_subscription=True)
        .filter(Q(next_attempt__isnull=True) | Q(next_attempt__lte=now))
        .update(next_attempt=now + timedelta(minutes=FAILED_RETRY_MINUTES))
    )


def subscription_sync(*, source_id: int, claim: bool = False) -> str:
    """Refresh one subscription; its error, if any, is kept for the user to see. Safe to run twice: with
    ``claim`` (the task), a subscription already tried within its interval is left alone."""
    if claim and not _claim(source_id):
        return "not due"
    source = CalendarSource.objects.select_related("user").filter(pk=source_id, is_subscription=True).first()
    if source is None:
        return "missing"
    now = timezone.now()
    try:
        fetched = ical_fetch.fetch(source.url, fetch_policy(), etag=source.etag, last_modified=source.last_modified,
                                   credentials=source_credentials(source))
        next_attempt = timezone.now() + timedelta(minutes=settings.ICAL_SUBSCRIPTION_REFRESH_MINUTES)
        if fetched.not_modified:
            CalendarSource.objects.filter(pk=source.pk).update(last_synced=now, last_error="", next_attempt=next_attempt)
            return "not modified"
        calendar_import(user=source.user, name=source.name, content=fetched.content, kind=source.kind,
                        url=source.url, is_subscription=True)
        CalendarSource.objects.filter(pk=source.pk).update(
            etag=fetched.etag[:512], last_modified=fetched.last_modified[:128], next_attempt=next_attempt)
        return "synced"
    except (ical_fetch.FetchError, CalendarError) as exc:
        retry = max(FAILED_RETRY_MINUTES, settings.ICAL_SUBSCRIPTION_REFRESH_MINUTES)
        CalendarSource.objects.filter(pk=source.pk).update(
            last_error=error_text(exc), next_attempt=timezone.now() + timedelta(minutes=retry))
        logger.info("subscription %s failed: %s", source.pk, error_text(exc))
        return "failed"


def subscriptions_refresh_due() -> int:
    """Queue a refresh of every subscription not synced for the refresh interval (a failing one: not tried
    again for an hour)."""
    now = timezone.now()
    due_before = now - timedelta(minutes=settings.ICAL_SUBSCRIPTION_REFRESH_MINUTES)
    ids = list(
        CalendarSource.objects.filter(is_subscription=True)
        .exclude(last_synced__gt=due_before)
        .filter(Q(next_attempt__isnull=True) | Q(next_attempt__lte=now))
        .values_list("pk", flat=True)
    )
    for source_id in ids:
        async_task("integrations.tasks.sync_subscription", source_id)
    return len(ids)
