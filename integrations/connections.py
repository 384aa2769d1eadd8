"""What every connected calendar (Google, Microsoft 365, CalDAV) does the same way with its connection: one
row per user, "active" or "broken", and why the last sync or busy block failed (``last_error``), kept for its
owner to see.

A connection is marked broken when its grant or password no longer works (a ``ConnectionBroken``): it keeps
why, and its last good busy time stays until the user connects again or disconnects. Any other failure is kept
in ``last_error`` and the connection stays active.
"""

from contextlib import contextmanager

from core import calendar_providers as providers
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
