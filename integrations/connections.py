"""What every connected calendar (Google, Microsoft 365, CalDAV) does the same way with its connection: one
row per user, "active" or "broken", and why the last sync or busy block failed (``last_error``), kept for its
owner to see.

A connection is marked broken when its grant or password no longer works (a ``ConnectionBroken``): it keeps
why, and its last good busy time stays until the user connects again or disconnects. Any other failure is kept
in ``last_error`` and the connection stays active.
"""

import abc
from contextlib import contextmanager

from django.db import transaction

from core import calendar_providers as providers
from integrations.calendar_store import forget_busy
from integrations.models import ConnectionStatus

MAX_ERROR_LENGTH = 2000


def mark_broken(connection, message: str) -> None:
    type(connection).objects.filter(pk=connection.pk).update(status=ConnectionStatus.BROKEN,
                                                             last_error=message[:MAX_ERROR_LENGTH])


def keep_error(connection, exc: Exception) -> None:
    type(connection).objects.filter(pk=connection.pk).update(last_error=str(exc)[:MAX_ERROR_LENGTH])


def sync_failed(connection, exc: providers.ProviderError) -> str:
    """The word for a sync that could not read the calendar, its error kept (a broken connection kept its own
    when it was marked)."""
    if isinstance(exc, providers.ConnectionBroken):
        return "broken"
    keep_error(connection, exc)
    return "failed"


@contextmanager
def errors_kept_on(connection):
    """Around a busy block's write: a provider's failure is kept on the connection, and raised on."""
    try:
        yield
    except providers.ConnectionBroken:
        raise  # kept when the connection was marked broken
    except providers.ProviderError as exc:
        keep_error(connection, exc)
        raise


def connection_update_calendars(*, connection, source: str, calendars: list[str], busy_calendar: str | None):
    """The calendars whose busy time is read, and the one busy blocks go to (unchanged when not given); the
    busy time of a calendar no longer read goes at once."""
    removed = set(connection.calendars) - set(calendars)
    connection.calendars = calendars
    if busy_calendar:
        connection.busy_calendar = busy_calendar
    with transaction.atomic():
        connection.save(update_fields=["calendars", "busy_calendar"])
        forget_busy(user_id=connection.user_id, source=source, calendars=list(removed))
    return connection


class ConnectedCalendar(providers.CalendarProvider):
    """A provider whose connections are rows of ``connection_model``, one per user: the working ones are the
    active rows, and disconnecting a user is ``disconnect_connection`` of their row, if any."""

    def active_connections(self, user_ids):
        rows = self.connection_model.objects.filter(status=ConnectionStatus.ACTIVE)
        return rows if user_ids is None else rows.filter(user_id__in=user_ids)

    def disconnect(self, *, user_id):
        connection = self.connection_model.objects.filter(user_id=user_id).first()
        if connection is not None:
            self.disconnect_connection(connection=connection)

    @abc.abstractmethod
    def disconnect_connection(self, *, connection) -> None:
        """Forget this connection and the busy time it brought (and revoke the grant, best effort)."""
