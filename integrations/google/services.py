"""Google Calendar for interviewers: connecting, free/busy sync into busy periods, and busy blocks.

``GoogleProvider`` (at the bottom) is this module behind the calendar-provider interface; scheduling never
imports it. What a sync does with the busy time it read is ``integrations.calendar_store``'s.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework.exceptions import ValidationError

from core import calendar_providers as providers
from core.calendar_providers import NO_DEADLINE, BusyAnswer, BusyBlock, CalendarInfo, Deadline
from core.models import User
from integrations import oauth
from integrations.calendar_store import forget_busy, store_busy
from integrations.connections import (
    ConnectedCalendar,
    connection_update_calendars,
    errors_kept_on,
    sync_failed,
)
from integrations.google import client
from integrations.google.crypto import Undecryptable, decrypt, is_current
from integrations.models import GoogleConnection, GoogleConnectionStatus
from slots.models import BusySource

logger = logging.getLogger(__name__)

MAX_QUERY_SPAN = timedelta(days=90)
SIGN_IN = oauth.SignIn(salt="google-oauth-state", kept_key="google:pkce:{}")


def google_connect_start(*, user: User) -> str:
    """The consent URL. Its ``state`` is signed and names the user; the PKCE verifier stays here."""
    return SIGN_IN.start(user, client.authorization_url)


def google_connect_finish(*, code: str, state: str) -> GoogleConnection:
    user, verifier = SIGN_IN.finish(state)
    try:
        tokens = client.exchange_code(code, verifier)
    except client.GoogleError as exc:
        raise ValidationError({"code": [str(exc)]}) from None
    with transaction.atomic():
        connection, _ = GoogleConnection.objects.update_or_create(user=user, defaults=oauth.grant_fields(tokens))
        if not connection.calendars:
            connection.calendars = ["primary"]
            connection.save(update_fields=["calendars"])
        transaction.on_commit(lambda: GoogleProvider().queue_sync(user.pk), robust=True)
    return connection


def _tokens(connection: GoogleConnection) -> client.Tokens:
    return client.Tokens(
        access_token=decrypt(connection.access_token_encrypted),
        refresh_token=decrypt(connection.refresh_token_encrypted),
        expiry=connection.access_token_expiry,
        scopes=list(connection.scopes or client.SCOPES),
    )


def _keep_tokens(connection: GoogleConnection, creds, before: client.Tokens) -> None:
    after = client.current_tokens(creds, before)
    rotated_key = not (is_current(connection.refresh_token_encrypted) and is_current(connection.access_token_encrypted))
    if rotated_key or after.access_token != before.access_token or after.refresh_token != before.refresh_token:
        oauth.keep_tokens(connection, after)


def _budget(deadline: Deadline) -> client.Budget:
    """Each call's socket timeout: what is left of the deadline (at most the client's own); no retries
    when there is a deadline (a booking is waiting)."""
    return client.Budget(deadline=deadline, retries=None if deadline.retries else 0)


def _call(connection: GoogleConnection, operation, deadline: Deadline = NO_DEADLINE):
    """Run ``operation(credentials, budget)`` on the connection's grant (a revoked one, or one that no key
    decrypts, marks it broken: ``oauth.grant``), and keep refreshed tokens (re-encrypted under the newest key)."""
    with oauth.grant(connection, _tokens, client.GrantRevoked) as before:
        creds = client.credentials(before)
        try:
            return operation(creds, _budget(deadline))
        finally:
            _keep_tokens(connection, creds, before)


def google_read_busy(connection: GoogleConnection, start, end, deadline: Deadline = NO_DEADLINE) -> BusyAnswer:
    """Free/busy of the connection's calendars in ``[start, end)``, in queries of at most 90 days."""
    calendars = list(connection.calendars or ["primary"])
    busy: dict[str, list] = {c: [] for c in calendars}
    errors: dict[str, str] = {}
    window = start
    while window < end:
        window_end = min(window + MAX_QUERY_SPAN, end)
        answer = _call(connection, lambda creds, budget, a=window, b=window_end:
                       client.freebusy(creds, calendars, a, b, budget), deadline)
        for calendar_id, periods in answer.busy.items():
            busy.setdefault(calendar_id, []).extend(periods)
        errors.update(answer.errors)
        window = window_end
    return BusyAnswer(busy, errors)


def google_sync(*, user_id: int, deadline: Deadline = NO_DEADLINE) -> str:
    """Read free/busy for the coming window and make it the user's Google busy periods, per calendar."""
    connection = GoogleConnection.objects.filter(user_id=user_id, status=GoogleConnectionStatus.ACTIVE).first()
    if connection is None:
        return "not connected"
    now = timezone.now()
    start, end = now, now + timedelta(days=settings.GOOGLE_SYNC_DAYS)
    calendars = list(connection.calendars or ["primary"])
    try:
        answer = google_read_busy(connection, start, end, deadline)
    except providers.ProviderError as exc:
        logger.info("Google sync for %s failed: %s", user_id, exc)
        return sync_failed(connection, exc)
    errors = answer.errors
    with transaction.atomic():
        store_busy(user_id=user_id, source=BusySource.GOOGLE, calendars=calendars, answer=answer, start=start, end=end)
        GoogleConnection.objects.filter(pk=connection.pk).update(
            last_synced=timezone.now(),
            calendar_errors=errors,
            last_error=("Some calendars could not be read: " + ", ".join(f"{c} ({r})" for c, r in errors.items()))
            if errors else "",
        )
    return "synced with errors" if errors else "synced"


def google_update_calendars(*, connection: GoogleConnection, calendars: list[str], busy_calendar: str | None) -> GoogleConnection:
    return connection_update_calendars(connection=connection, source=BusySource.GOOGLE, calendars=calendars,
                                       busy_calendar=busy_calendar)


def google_disconnect(*, connection: GoogleConnection) -> None:
    try:
        token = decrypt(connection.refresh_token_encrypted)
    except Undecryptable:
        token = ""  # nothing we can revoke at Google; the local grant goes anyway
    with transaction.atomic():
        forget_busy(user_id=connection.user_id, source=BusySource.GOOGLE)
        connection.delete()
    if token:
        client.revoke(token)


def busy_block_id(interview, user_id: int) -> str:
    """Our own event id for an interview's block on one interviewer's calendar (base32hex: 0-9, a-v)."""
    return providers.block_key(interview.uid, user_id)


def busy_block_event(block: BusyBlock) -> dict:
    return {
        "id": block.key,
        "summary": f"{block.title} (booked)",
        "start": {"dateTime": block.start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": block.end.isoformat(), "timeZone": "UTC"},
        "transparency": "opaque",
        "visibility": "private",
        "reminders": {"useDefault": True},
        "extendedProperties": {
            "private": {"interview_id": str(block.interview_id), "interview_uid": block.interview_uid},
        },
    }


def _active(user_id: int) -> GoogleConnection:
    connection = GoogleConnection.objects.filter(user_id=user_id, status=GoogleConnectionStatus.ACTIVE).first()
    if connection is None:
        raise client.GoogleError("Google Calendar is not connected.", permanent=True)
    return connection


def google_busy_block_put(*, user_id: int, block: BusyBlock) -> str:
    connection = _active(user_id)
    calendar_id = connection.busy_calendar or "primary"
    event = busy_block_event(block)
    with errors_kept_on(connection):
        return _call(connection, lambda creds, budget: client.event_put(creds, calendar_id, event, budget))


def google_busy_block_delete(*, user_id: int, block: BusyBlock) -> str:
    connection = GoogleConnection.objects.filter(user_id=user_id, status=GoogleConnectionStatus.ACTIVE).first()
    if connection is None:
        return "nothing to do"
    calendar_id = connection.busy_calendar or "primary"
    with errors_kept_on(connection):
        return _call(connection, lambda creds, budget: client.event_delete(creds, calendar_id, block.key, budget))


def google_sync_all() -> int:
    ids = list(GoogleConnection.objects.filter(status=GoogleConnectionStatus.ACTIVE).values_list("user_id", flat=True))
    for user_id in ids:
        async_task("integrations.google.tasks.sync_google", user_id)
    return len(ids)


class GoogleProvider(ConnectedCalendar):
    name = BusySource.GOOGLE
    label = "Google Calendar"
    connection_model = GoogleConnection
    sync = staticmethod(google_sync)
    put_busy_block = staticmethod(google_busy_block_put)
    delete_busy_block = staticmethod(google_busy_block_delete)
    disconnect_connection = staticmethod(google_disconnect)

    def connect(self, *, user, code: str, state: str):  # the OAuth callback; ``user`` comes from the state
        return google_connect_finish(code=code, state=state)

    def list_calendars(self, *, user_id, deadline=NO_DEADLINE):
        # Listing needs the calendar.readonly scope, which we do not ask for: the connection's chosen ids.
        return [CalendarInfo(c, c) for c in (_active(user_id).calendars or ["primary"])]

    def read_busy(self, *, user_id, start, end, deadline=NO_DEADLINE):
        return google_read_busy(_active(user_id), start, end, deadline)

    def queue_sync(self, user_id):
        async_task("integrations.google.tasks.sync_google", user_id)
