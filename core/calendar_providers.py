"""One interface for interviewers' connected calendars, and the registry that booking talks to.

Google, CalDAV and Microsoft 365 are providers behind ``CalendarProvider``; each registers itself when its
app is ready. Booking, rescheduling, cancelling and the sync schedule use only the functions at the bottom
of this module (``sync_before_booking``, ``connected``, ``busy_block_push``), never a provider's own code, so a
new provider plugs in without touching scheduling. This module imports no app: it sits below all of them.

Every failure a provider raises is a ``ProviderError``; ``permanent`` says that trying again cannot help
(a revoked grant, a changed password, a calendar that is gone). ``ConnectionBroken`` is the permanent error
that also marked the connection broken: the user must connect again, and the last good busy time is kept.
"""

from __future__ import annotations

import abc
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

logger = logging.getLogger(__name__)

# A connection synced this recently is not synced again before a booking.
FRESH_BEFORE_BOOKING = timedelta(minutes=5)
# What is left of the budget below which no call is started (it could not finish).
_MIN_CALL_SECONDS = 0.2


class ProviderError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class ConnectionBroken(ProviderError):
    """The grant was revoked or the password changed: the connection is marked broken with this message."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class BudgetExhausted(ProviderError):
    """The time allowed for outbound calls ran out before the call could start or finish."""

    def __init__(self, message: str = "The calendar did not answer within the time allowed."):
        super().__init__(message)


@dataclass(frozen=True)
class Deadline:
    """A point in monotonic time; ``timeout()`` is what an HTTP call may still take (capped by ``cap``)."""

    at: float | None = None
    retries: bool = True  # False in the request path: one try, then book on what we know

    @classmethod
    def within(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, retries=False)

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def timeout(self, cap: float) -> float:
        remaining = self.remaining()
        if remaining is None:
            return cap
        if remaining < _MIN_CALL_SECONDS:
            raise BudgetExhausted()
        return min(cap, remaining)


NO_DEADLINE = Deadline()


@dataclass(frozen=True)
class CalendarInfo:
    id: str
    name: str = ""
    writable: bool = True


@dataclass(frozen=True)
class BusyAnswer:
    """Busy time per calendar id in the range asked for, and the calendars that could not be read."""

    busy: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BusyBlock:
    """What an interviewer's calendar should show for one interview: a private busy block, or nothing."""

    key: str  # stable for this interview and interviewer: the event id / UID on the provider's side
    interview_id: int
    interview_uid: str
    title: str
    start: datetime
    end: datetime
    sequence: int
    active: bool  # False: the block must go (cancelled, or no longer on the panel)


def block_key(interview_uid: str, user_id: int) -> str:
    """Lower-case hex after a letter prefix: valid as a Google event id (base32hex), a UID and a file name."""
    return "iv" + hashlib.sha256(f"{interview_uid}:{user_id}".encode()).hexdigest()[:40]


class CalendarProvider(abc.ABC):
    """A kind of connected calendar. Methods take user ids (one connection per user and provider)."""

    name: str  # short and stable: it names busy periods' source and tasks' arguments
    label: str
    connection_model = None  # the model of its connections (a ``user`` each): its writes refresh ``with_any``

    @abc.abstractmethod
    def connect(self, *, user, **params):
        """Store a new connection (credentials encrypted) after proving they work; answers the connection."""

    @abc.abstractmethod
    def active_connections(self, user_ids: list[int] | None):
        """The working connections (a QuerySet with ``user_id`` and ``last_synced``) of these users (None: all)."""

    def connected(self, user_ids: list[int] | None) -> set[int]:
        """Which of these users (None: of all users) have a working connection."""
        return set(self.active_connections(user_ids).values_list("user_id", flat=True))

    def stale(self, user_ids: list[int], synced_before: datetime) -> list[int]:
        """Which of these users have a working connection last synced before the given time (or never)."""
        rows = self.active_connections(user_ids).exclude(last_synced__gte=synced_before)
        return list(rows.values_list("user_id", flat=True))

    @abc.abstractmethod
    def list_calendars(self, *, user_id: int, deadline: Deadline = NO_DEADLINE) -> list[CalendarInfo]:
        ...

    @abc.abstractmethod
    def read_busy(self, *, user_id: int, start: datetime, end: datetime,
                  deadline: Deadline = NO_DEADLINE) -> BusyAnswer:
        """Busy time in ``[start, end)`` of the connection's chosen calendars."""

    @abc.abstractmethod
    def sync(self, *, user_id: int, deadline: Deadline = NO_DEADLINE) -> str:
        """Read busy time for the coming window and store it as the user's busy periods; answers a word
        ("synced", "synced with errors", "failed", "not connected"). Never raises for the provider's errors."""

    @abc.abstractmethod
    def put_busy_block(self, *, user_id: int, block: BusyBlock) -> str:
        """Insert the block, or move it if it exists (idempotent); answers "inserted" or "updated"."""

    @abc.abstractmethod
    def delete_busy_block(self, *, user_id: int, block: BusyBlock) -> str:
        """Answers "deleted" or "already gone"."""

    @abc.abstractmethod
    def disconnect(self, *, user_id: int) -> None:
        """Forget the connection and the busy time it brought (and revoke the grant, best effort)."""

    def queue_sync(self, user_id: int) -> None:
        """Leave a full sync to the task worker."""
        from django_q.tasks import async_task

        async_task("integrations.tasks.sync_calendar", self.name, user_id)


_registry: dict[str, CalendarProvider] = {}


def register(provider: CalendarProvider) -> None:
    _registry[provider.name] = provider
    if provider.connection_model is not None:
        for signal in (post_save, post_delete):
            signal.connect(_connection_written, sender=provider.connection_model, dispatch_uid=f"calendars-{provider.name}")


def registered() -> list[CalendarProvider]:
    return list(_registry.values())


def get(name: str) -> CalendarProvider:
    try:
        return _registry[name]
    except KeyError:
        raise ProviderError(f"No calendar provider is called {name!r}.", permanent=True) from None


def _across_providers(rows_of) -> list[tuple[str, int]]:
    """``(provider name, user id)`` of each provider's rows, in one query (a UNION over their tables)."""
    queries = [rows_of(p).annotate(_provider=Value(p.name, output_field=CharField()))
               .values_list("_provider", "user_id").order_by() for p in registered()]
    if not queries:
        return []
    union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return sorted(union)


# Whether a user has any connection row (of any provider, in any state), cached per user, so that a booking
# of people who never connected a calendar asks no provider table. Every save or delete of a connection
# forgets the user's entry, at once and again after its commit (a read that raced the write could have put
# the old answer back); the expiry bounds what an update() that bypasses signals could leave.
_ANY_KEY = "calendars:any:{}"
_ANY_SECONDS = 600


def _connection_written(sender, instance, **kwargs) -> None:
    key = _ANY_KEY.format(instance.user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def with_any(user_ids: list[int]) -> list[int]:
    """Those of these users who have a connection row with some provider (one cache read when warm)."""
    ids = sorted(set(user_ids))
    known = cache.get_many([_ANY_KEY.format(pk) for pk in ids])
    missing = [pk for pk in ids if _ANY_KEY.format(pk) not in known]
    if missing:
        found = set()
        queries = [p.connection_model.objects.filter(user_id__in=missing).values_list("user_id").order_by()
                   for p in registered() if p.connection_model is not None]
        if queries:
            union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
            found = {pk for (pk,) in union}
        answers = {_ANY_KEY.format(pk): pk in found for pk in missing}
        cache.set_many(answers, _ANY_SECONDS)
        known.update(answers)
    return [pk for pk in ids if known[_ANY_KEY.format(pk)]]


def connected(user_ids: list[int]) -> list[tuple[str, int]]:
    """``(provider name, user id)`` for every working connection of these users (no query for those known
    to have none)."""
    user_ids = with_any(user_ids)
    if not user_ids:
        return []
    return _across_providers(lambda p: p.active_connections(user_ids))


def _stale(user_ids: list[int], synced_before: datetime) -> list[tuple[str, int]]:
    return _across_providers(lambda p: p.active_connections(list(user_ids)).exclude(last_synced__gte=synced_before))


def sync_before_booking(*, user_ids: list[int], budget: float | None = None) -> dict[tuple[str, int], str]:
    """Fresh busy time for people about to be booked, within a time budget shared by all their calendars.

    One try per calendar, each HTTP call bounded by what is left of the budget. A calendar that fails or
    runs out of time keeps its last known busy time (the booking goes ahead on it) and gets a full sync
    from the task worker. Network: call it outside any transaction."""
    results: dict[tuple[str, int], str] = {}
    user_ids = with_any(user_ids)
    if not user_ids:
        return results
    budget = settings.CALENDAR_BOOKING_BUDGET_SECONDS if budget is None else budget
    deadline = Deadline.within(budget)
    synced_before = timezone.now() - FRESH_BEFORE_BOOKING
    for name, user_id in _stale(user_ids, synced_before):
        provider = get(name)
        remaining = deadline.remaining()
        if remaining is not None and remaining < _MIN_CALL_SECONDS:
            result = "out of time"
        else:
            try:
                result = provider.sync(user_id=user_id, deadline=deadline)
            except Exception:  # a provider's bug must not stop a booking either
                logger.exception("Calendar sync (%s) for user %s before a booking failed", name, user_id)
                result = "failed"
        results[(name, user_id)] = result
        if result not in ("synced", "synced with errors", "not connected", "broken"):
            provider.queue_sync(user_id)
    return results


def queue_all_syncs() -> int:
    """The sync schedule: a full sync of every working connection, each as its own task."""
    queued = 0
    for provider in registered():
        for user_id in sorted(provider.connected(None)):
            provider.queue_sync(user_id)
            queued += 1
    return queued


def sync(*, provider: str, user_id: int) -> str:
    """A full sync (the worker's): no budget beyond each call's own timeout, with retries."""
    return get(provider).sync(user_id=user_id)


def busy_block_push(*, provider: str, user_id: int, block: BusyBlock) -> str:
    """Bring one interviewer's calendar in line with the block. A transient error raises (the task is
    tried again later); a permanent one answers "failed" (the provider recorded why)."""
    target = get(provider)
    try:
        if block.active:
            return target.put_busy_block(user_id=user_id, block=block)
        return target.delete_busy_block(user_id=user_id, block=block)
    except ProviderError as exc:
        if exc.permanent:
            logger.info("Busy block %s for user %s on %s failed: %s", block.key, user_id, provider, exc)
            return "failed"
        raise
