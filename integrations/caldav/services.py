"""CalDAV calendars for interviewers (iCloud, Fastmail, Nextcloud, any CalDAV server): connecting with an
app password, busy-time sync into busy periods, and busy blocks as VEVENTs.

``CalDAVProvider`` (at the bottom) is this module behind the calendar-provider interface. The password is
stored encrypted and never shown; when the server refuses it the connection is marked broken, and its last
good busy time is kept until the user connects again or disconnects.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework.exceptions import ValidationError

from core import calendar_providers as providers
from core.calendar_providers import NO_DEADLINE, BusyAnswer, BusyBlock, Deadline
from core.models import User
from core.timezones import get_zone
from integrations.caldav import client
from integrations.calendar_store import forget_busy, store_busy
from integrations.connections import (
    ConnectedCalendar,
    connection_update_calendars,
    errors_kept_on,
    mark_broken,
    sync_failed,
)
from integrations.google.crypto import Undecryptable, decrypt, encrypt
from integrations.ical.parse import Limits
from integrations.ical.sandbox import parse_in_child
from integrations.models import CalDAVConnection, ConnectionStatus
from integrations.services import fetch_policy
from slots.intervals import Interval
from slots.models import BusySource

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 15  # a connect runs in the request: discovery must not hang it


def _account(connection: CalDAVConnection) -> client.Account:
    try:
        password = decrypt(connection.password_encrypted)
    except Undecryptable:
        password = ""
    if not password:  # no key in FIELD_ENCRYPTION_KEYS decrypts it: never silently an empty password
        message = "The stored CalDAV password can no longer be read; connect again with your app password."
        mark_broken(connection, message)
        raise providers.ConnectionBroken(message)
    return client.Account(connection.url, connection.username, password)


def caldav_connect(*, user: User, url: str, username: str, password: str) -> CalDAVConnection:
    """Log in, find the calendars, and keep the account (a reconnect replaces it). Bad credentials, a
    refused address or a server that is not CalDAV: 400 naming the field."""
    account = client.Account(url, username, password)
    try:
        found = client.discover(account, fetch_policy(), Deadline.within(CONNECT_TIMEOUT_SECONDS))
    except client.PasswordRejected:
        raise ValidationError({"password": ["The CalDAV server refused this user name or app password."]}) from None
    except providers.ProviderError as exc:
        raise ValidationError({"url": [str(exc)]}) from None
    if not found:
        raise ValidationError({"url": ["No calendars with events were found for this account."]})
    available = [{"id": c.id, "name": c.name} for c in found]
    with transaction.atomic():
        previous = CalDAVConnection.objects.filter(user=user).first()
        ids = [c["id"] for c in available]
        kept = [c for c in (previous.calendars if previous else []) if c in ids]
        busy_calendar = previous.busy_calendar if previous and previous.busy_calendar in ids else ids[0]
        connection, _ = CalDAVConnection.objects.update_or_create(
            user=user,
            defaults={
                "url": url,
                "username": username,
                "password_encrypted": encrypt(password),
                "available_calendars": available,
                "calendars": kept or ids,
                "busy_calendar": busy_calendar,
                "status": ConnectionStatus.ACTIVE,
                "last_error": "",
                "calendar_errors": {},
            },
        )
        if previous:  # calendars no longer read (or gone) stop holding time
            dropped = set(previous.calendars) - set(connection.calendars)
            if dropped:
                forget_busy(user_id=user.pk, source=BusySource.CALDAV, calendars=list(dropped))
        transaction.on_commit(lambda: CalDAVProvider().queue_sync(user.pk), robust=True)
    return connection


def caldav_update_calendars(*, connection: CalDAVConnection, calendars: list[str],
                            busy_calendar: str | None) -> CalDAVConnection:
    ids = [c["id"] for c in connection.available_calendars]
    unknown = [c for c in calendars if c not in ids]
    if unknown:
        raise ValidationError({"calendars": [f"Not a calendar of this account: {unknown[0]}"]})
    if busy_calendar is not None and busy_calendar not in ids:
        raise ValidationError({"busy_calendar": ["Not a calendar of this account."]})
    return connection_update_calendars(connection=connection, source=BusySource.CALDAV, calendars=calendars,
                                       busy_calendar=busy_calendar)


def _parser(user_id: int, window: Interval, deadline: Deadline):
    """The iCal import's parser in its bounded child process; its time is also bounded by the deadline."""
    zone = get_zone(User.objects.filter(pk=user_id).values_list("timezone", flat=True).first() or "UTC").key

    def parse(content: bytes) -> list[Interval]:
        remaining = deadline.remaining()
        seconds = settings.ICAL_PARSE_SECONDS if remaining is None else min(settings.ICAL_PARSE_SECONDS, remaining)
        if seconds < 0.5:
            raise providers.BudgetExhausted()
        limits = Limits(max_bytes=settings.ICAL_MAX_BYTES, max_periods=settings.ICAL_MAX_PERIODS, max_seconds=seconds)
        return parse_in_child(content, kind="busy", tz=zone, window=window, limits=limits,
                              max_memory_mb=settings.ICAL_PARSE_MEMORY_MB).periods

    return parse


def caldav_read_busy(connection: CalDAVConnection, start, end, deadline: Deadline = NO_DEADLINE, *,
                     server_expand: bool = True) -> BusyAnswer:
    try:
        return client.read_busy(_account(connection), list(connection.calendars), start, end,
                                parse=_parser(connection.user_id, Interval(start, end), deadline),
                                policy=fetch_policy(), deadline=deadline, server_expand=server_expand)
    except client.PasswordRejected as exc:
        mark_broken(connection, str(exc))
        raise


def caldav_sync(*, user_id: int, deadline: Deadline = NO_DEADLINE) -> str:
    """Read busy time for the coming window and make it the user's CalDAV busy periods, per calendar."""
    connection = CalDAVConnection.objects.filter(user_id=user_id, status=ConnectionStatus.ACTIVE).first()
    if connection is None:
        return "not connected"
    now = timezone.now()
    start, end = now, now + timedelta(days=settings.CALENDAR_SYNC_DAYS)
    try:
        answer = caldav_read_busy(connection, start, end, deadline)
    except providers.ProviderError as exc:
        logger.info("CalDAV sync for %s failed: %s", user_id, exc)
        return sync_failed(connection, exc)
    names = {c["id"]: c["name"] for c in connection.available_calendars}
    errors = answer.errors
    with transaction.atomic():
        store_busy(user_id=user_id, source=BusySource.CALDAV, calendars=list(connection.calendars), answer=answer,
                   start=start, end=end)
        CalDAVConnection.objects.filter(pk=connection.pk).update(
            last_synced=timezone.now(),
            calendar_errors=errors,
            last_error=("Some calendars could not be read: " + ", ".join(f"{names.get(c, c)} ({r})"
                                                                        for c, r in errors.items()))[:2000]
            if errors else "",
        )
    return "synced with errors" if errors else "synced"


def caldav_disconnect(*, connection: CalDAVConnection) -> None:
    with transaction.atomic():
        forget_busy(user_id=connection.user_id, source=BusySource.CALDAV)
        connection.delete()


def _block_call(user_id: int, operation, *, missing: str | None = None) -> str:
    connection = CalDAVConnection.objects.filter(user_id=user_id, status=ConnectionStatus.ACTIVE).first()
    if connection is None:
        if missing is not None:
            return missing
        raise client.CalDAVError("No working CalDAV connection.", permanent=True)
    calendar_url = connection.busy_calendar or (connection.calendars or [""])[0]
    with errors_kept_on(connection):
        try:
            return operation(_account(connection), calendar_url)
        except client.PasswordRejected as exc:
            mark_broken(connection, str(exc))
            raise


def caldav_busy_block_put(*, user_id: int, block: BusyBlock) -> str:
    return _block_call(user_id, lambda account, url: client.put_block(account, url, block, policy=fetch_policy()))


def caldav_busy_block_delete(*, user_id: int, block: BusyBlock) -> str:
    return _block_call(user_id, lambda account, url: client.delete_block(account, url, block, policy=fetch_policy()),
                       missing="nothing to do")


class CalDAVProvider(ConnectedCalendar):
    name = BusySource.CALDAV
    label = "CalDAV"
    connection_model = CalDAVConnection
    sync = staticmethod(caldav_sync)
    put_busy_block = staticmethod(caldav_busy_block_put)
    delete_busy_block = staticmethod(caldav_busy_block_delete)
    disconnect_connection = staticmethod(caldav_disconnect)

    def connect(self, *, user, url: str, username: str, password: str):
        return caldav_connect(user=user, url=url, username=username, password=password)

    def list_calendars(self, *, user_id, deadline=NO_DEADLINE):
        connection = CalDAVConnection.objects.get(user_id=user_id)
        return client.discover(_account(connection), fetch_policy(), deadline)

    def read_busy(self, *, user_id, start, end, deadline=NO_DEADLINE):
        return caldav_read_busy(CalDAVConnection.objects.get(user_id=user_id), start, end, deadline)

    def queue_sync(self, user_id):
        async_task("integrations.tasks.sync_calendar", self.name, user_id)
