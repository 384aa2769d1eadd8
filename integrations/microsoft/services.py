"""Microsoft 365 / Outlook calendars for interviewers: connecting with msal, free/busy sync into busy
periods, and busy blocks through Graph.

``MicrosoftProvider`` (at the bottom) is this module behind the calendar-provider interface. Tokens are
stored encrypted and never shown. A refresh token that no longer works marks the connection broken; its
last good busy time is kept until the user connects again or disconnects.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework.exceptions import ValidationError

from core import calendar_providers as providers
from core.calendar_providers import NO_DEADLINE, BusyAnswer, BusyBlock, CalendarInfo, Deadline
from core.models import User
from integrations import oauth
from integrations.calendar_store import forget_busy, store_busy
from integrations.connections import ConnectedCalendar, errors_kept_on, sync_failed
from integrations.google.crypto import decrypt
from integrations.microsoft import client
from integrations.models import ConnectionStatus, MicrosoftConnection, MicrosoftEvent
from slots.models import BusySource

logger = logging.getLogger(__name__)

SIGN_IN = oauth.SignIn(salt="microsoft-oauth-state", kept_key="microsoft:flow:{}")


def _consent(state: str) -> tuple[str, dict]:
    flow = client.start_flow(state)
    return flow["auth_uri"], flow


def microsoft_connect_start(*, user: User) -> str:
    """The consent URL. Its ``state`` is signed and names the user; msal's flow (PKCE verifier) stays here."""
    return SIGN_IN.start(user, _consent)


def microsoft_connect_finish(*, code: str, state: str) -> MicrosoftConnection:
    user, flow = SIGN_IN.finish(state)
    try:
        tokens = client.finish_flow(flow, {"code": code, "state": state})
    except client.MicrosoftError as exc:
        raise ValidationError({"code": [str(exc)]}) from None
    if not tokens.mailbox:
        raise ValidationError({"code": ["Microsoft did not say which mailbox this is; connect again."]})
    with transaction.atomic():
        connection, _ = MicrosoftConnection.objects.update_or_create(
            user=user, defaults={**oauth.grant_fields(tokens), "mailbox": tokens.mailbox})
        transaction.on_commit(lambda: MicrosoftProvider().queue_sync(user.pk), robust=True)
    return connection


def _tokens(connection: MicrosoftConnection) -> client.Tokens:
    return client.Tokens(
        access_token=decrypt(connection.access_token_encrypted),
        refresh_token=decrypt(connection.refresh_token_encrypted),
        expiry=connection.access_token_expiry,
        scopes=list(connection.scopes or client.SCOPES),
        mailbox=connection.mailbox,
    )


def _call(connection: MicrosoftConnection, operation, deadline: Deadline = NO_DEADLINE):
    """Run ``operation(session)`` on the connection's grant (a revoked one, or one that no key in
    FIELD_ENCRYPTION_KEYS decrypts, marks it broken: ``oauth.grant``), and keep refreshed tokens."""
    with oauth.grant(connection, _tokens, client.GrantRevoked) as before:
        session = client.Session(before, deadline)
        try:
            return operation(session)
        finally:
            after = session.tokens
            if (after.access_token, after.refresh_token) != (before.access_token, before.refresh_token):
                oauth.keep_tokens(connection, after)


def microsoft_read_busy(connection: MicrosoftConnection, start, end, deadline: Deadline = NO_DEADLINE) -> BusyAnswer:
    busy = _call(connection, lambda session: client.schedule(session, connection.mailbox, start, end), deadline)
    return BusyAnswer({connection.mailbox: busy}, {})


def microsoft_sync(*, user_id: int, deadline: Deadline = NO_DEADLINE) -> str:
    """Read free/busy for the coming window and make it the user's Microsoft busy periods."""
    connection = MicrosoftConnection.objects.filter(user_id=user_id, status=ConnectionStatus.ACTIVE).first()
    if connection is None:
        return "not connected"
    now = timezone.now()
    start, end = now, now + timedelta(days=settings.CALENDAR_SYNC_DAYS)
    try:
        answer = microsoft_read_busy(connection, start, end, deadline)
    except providers.ProviderError as exc:
        logger.info("Microsoft sync for %s failed: %s", user_id, exc)
        return sync_failed(connection, exc)
    with transaction.atomic():
        store_busy(user_id=user_id, source=BusySource.MICROSOFT, calendars=[connection.mailbox], answer=answer,
                   start=start, end=end)
        MicrosoftConnection.objects.filter(pk=connection.pk).update(last_synced=timezone.now(), last_error="")
    return "synced"


def microsoft_disconnect(*, connection: MicrosoftConnection) -> None:
    """Forget the grant (Microsoft has no endpoint to revoke one refresh token; the user can remove the app's
    access in their account) and the busy time it brought."""
    with transaction.atomic():
        forget_busy(user_id=connection.user_id, source=BusySource.MICROSOFT)
        MicrosoftEvent.objects.filter(user_id=connection.user_id).delete()
        connection.delete()


def _active(user_id: int) -> MicrosoftConnection | None:
    return MicrosoftConnection.objects.filter(user_id=user_id, status=ConnectionStatus.ACTIVE).first()


def microsoft_busy_block_put(*, user_id: int, block: BusyBlock) -> str:
    connection = _active(user_id)
    if connection is None:
        raise client.MicrosoftError("No working Microsoft 365 connection.", permanent=True)
    known = MicrosoftEvent.objects.filter(user_id=user_id, key=block.key).first()

    def put(session):
        if known is not None:
            try:
                client.event_update(session, known.event_id, block)
                return "updated"
            except client.MicrosoftError as exc:
                if exc.status not in (404, 410):
                    raise
                known.delete()  # deleted by hand in Outlook: make it again
        event_id = client.event_create(session, block)
        try:
            MicrosoftEvent.objects.update_or_create(user_id=user_id, key=block.key, defaults={"event_id": event_id})
        except IntegrityError:  # a concurrent retry stored it first; transactionId made it the same event
            pass
        return "inserted"

    with errors_kept_on(connection):
        return _call(connection, put)


def microsoft_busy_block_delete(*, user_id: int, block: BusyBlock) -> str:
    connection = _active(user_id)
    known = MicrosoftEvent.objects.filter(user_id=user_id, key=block.key).first()
    if connection is None or known is None:
        return "already gone" if connection is not None else "nothing to do"
    with errors_kept_on(connection):
        result = _call(connection, lambda session: client.event_delete(session, known.event_id))
    known.delete()
    return result


class MicrosoftProvider(ConnectedCalendar):
    name = BusySource.MICROSOFT
    label = "Microsoft 365"
    connection_model = MicrosoftConnection
    sync = staticmethod(microsoft_sync)
    put_busy_block = staticmethod(microsoft_busy_block_put)
    delete_busy_block = staticmethod(microsoft_busy_block_delete)
    disconnect_connection = staticmethod(microsoft_disconnect)

    def connect(self, *, user, code: str, state: str):  # the OAuth callback; ``user`` comes from the state
        return microsoft_connect_finish(code=code, state=state)

    def list_calendars(self, *, user_id, deadline=NO_DEADLINE):
        connection = MicrosoftConnection.objects.get(user_id=user_id)
        return [CalendarInfo(connection.mailbox, connection.mailbox)]

    def read_busy(self, *, user_id, start, end, deadline=NO_DEADLINE):
        return microsoft_read_busy(MicrosoftConnection.objects.get(user_id=user_id), start, end, deadline)

    def queue_sync(self, user_id):
        async_task("integrations.tasks.sync_calendar", self.name, user_id)
