"""Google Calendar for interviewers: connecting, free/busy sync into busy periods, and busy blocks.

Busy blocks we write for interviews come back in free/busy answers; our own interviews' times are taken
out of what Google reports (they are busy anyway, as interview busy periods), so cancelling an interview
frees its time at once instead of at the next sync.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework.exceptions import ValidationError

from core.models import User
from integrations.google import client
from integrations.google.crypto import Undecryptable, decrypt, encrypt, is_current
from integrations.models import GoogleConnection, GoogleConnectionStatus
from scheduling.models import Interview, InterviewStatus
from slots.intervals import Interval, merge, subtract
from slots.models import BusyPeriod, BusySource
from slots.services import announce_free_time_changed

logger = logging.getLogger(__name__)

STATE_SALT = "google-oauth-state"
STATE_MAX_AGE = 600
MAX_QUERY_SPAN = timedelta(days=90)
FRESH_BEFORE_BOOKING = timedelta(minutes=5)


def _verifier_key(nonce: str) -> str:
    return f"google:pkce:{nonce}"


def google_connect_start(*, user: User) -> str:
    """The consent URL. Its ``state`` is signed and names the user; the PKCE verifier stays here."""
    nonce = secrets.token_urlsafe(16)
    state = signing.dumps({"u": user.pk, "n": nonce}, salt=STATE_SALT)
    url, verifier = client.authorization_url(state)
    cache.set(_verifier_key(nonce), verifier, STATE_MAX_AGE)
    return url


def _user_from_state(state: str) -> tuple[User, str]:
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError({"state": ["The connection request expired; start again."]}) from None
    except signing.BadSignature:
        raise ValidationError({"state": ["The state is not valid."]}) from None
    verifier = cache.get(_verifier_key(data["n"]))
    cache.delete(_verifier_key(data["n"]))  # one use only
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or verifier is None:
        raise ValidationError({"state": ["The connection request was already used or has expired; start again."]})
    return user, verifier


def google_connect_finish(*, code: str, state: str) -> GoogleConnection:
    user, verifier = _user_from_state(state)
    try:
        tokens = client.exchange_code(code, verifier)
    except client.GoogleError as exc:
        raise ValidationError({"code": [str(exc)]}) from None
    with transaction.atomic():
        connection, _ = GoogleConnection.objects.update_or_create(
            user=user,
            defaults={
                "refresh_token_encrypted": encrypt(tokens.refresh_token),
                "access_token_encrypted": encrypt(tokens.access_token),
                "access_token_expiry": tokens.expiry,
                "scopes": tokens.scopes,
                "status": GoogleConnectionStatus.ACTIVE,
                "last_error": "",
            },
        )
        if not connection.calendars:
            connection.calendars = ["primary"]
            connection.save(update_fields=["calendars"])
        transaction.on_commit(lambda: async_task("integrations.google.tasks.sync_google", user.pk), robust=True)
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
        GoogleConnection.objects.filter(pk=connection.pk).update(
            access_token_encrypted=encrypt(after.access_token),
            refresh_token_encrypted=encrypt(after.refresh_token),
            access_token_expiry=after.expiry,
        )


def _mark_broken(connection: GoogleConnection, message: str) -> None:
    GoogleConnection.objects.filter(pk=connection.pk).update(status=GoogleConnectionStatus.BROKEN, last_error=message)


def _call(connection: GoogleConnection, operation):
    """Run ``operation(credentials)``, keep refreshed tokens (re-encrypted under the newest key), and mark a
    revoked grant, or one that no key decrypts, broken."""
    try:
        before = _tokens(connection)
    except Undecryptable as exc:
        _mark_broken(connection, str(exc))
        raise client.GrantRevoked(str(exc)) from exc
    if not before.refresh_token:
        _mark_broken(connection, str(client.GrantRevoked()))
        raise client.GrantRevoked()
    creds = client.credentials(before)
    try:
        return operation(creds)
    except client.GrantRevoked as exc:
        _mark_broken(connection, str(exc))
        raise
    finally:
        _keep_tokens(connection, creds, before)


def _own_interviews(user_id: int, start, end) -> list[Interval]:
    rows = BusyPeriod.objects.filter(user_id=user_id, source=BusySource.INTERVIEW, start__lt=end, end__gt=start)
    return merge(Interval(s, e) for s, e in rows.values_list("start", "end"))


def google_sync(*, user_id: int) -> str:
    """Read free/busy for the coming window and make it the user's Google busy periods, per calendar."""
    connection = GoogleConnection.objects.filter(user_id=user_id, status=GoogleConnectionStatus.ACTIVE).first()
    if connection is None:
        return "not connected"
    now = timezone.now()
    start, end = now, now + timedelta(days=settings.GOOGLE_SYNC_DAYS)
    calendars = list(connection.calendars or ["primary"])
    busy: dict[str, list[Interval]] = {c: [] for c in calendars}
    errors: dict[str, str] = {}
    try:
        window = start
        while window < end:
            window_end = min(window + MAX_QUERY_SPAN, end)
            answer = _call(connection, lambda creds, a=window, b=window_end: client.freebusy(creds, calendars, a, b))
            for calendar_id, periods in answer.busy.items():
                busy.setdefault(calendar_id, []).extend(Interval(s, e) for s, e in periods)
            errors.update(answer.errors)
            window = window_end
    except client.GoogleError as exc:
        GoogleConnection.objects.filter(pk=connection.pk).update(last_error=str(exc)[:2000])
        logger.info("Google sync for %s failed: %s", user_id, exc)
        return "failed"
    own = _own_interviews(user_id, start, end)
    with transaction.atomic():
        for calendar_id in calendars:
            if calendar_id in errors:
                continue  # keep what we last knew of a calendar Google could not read now
            periods = subtract(merge(busy.get(calendar_id, [])), own)
            BusyPeriod.objects.filter(user_id=user_id, source=BusySource.GOOGLE, external_calendar=calendar_id).delete()
            BusyPeriod.objects.bulk_create(
                BusyPeriod(user_id=user_id, start=p.start, end=p.end, source=BusySource.GOOGLE,
                           external_calendar=calendar_id)
                for p in periods
            )
        GoogleConnection.objects.filter(pk=connection.pk).update(
            last_synced=timezone.now(),
            calendar_errors=errors,
            last_error=("Some calendars could not be read: " + ", ".join(f"{c} ({r})" for c, r in errors.items()))
            if errors else "",
        )
        announce_free_time_changed([user_id])
    return "synced with errors" if errors else "synced"


def google_sync_before_booking(*, user_ids: list[int]) -> None:
    """Fresh free/busy for interviewers about to be booked; a Google outage never blocks a booking."""
    stale = GoogleConnection.objects.filter(user_id__in=user_ids, status=GoogleConnectionStatus.ACTIVE).exclude(
        last_synced__gt=timezone.now() - FRESH_BEFORE_BOOKING
    )
    for user_id in stale.values_list("user_id", flat=True):
        google_sync(user_id=user_id)


def google_update_calendars(*, connection: GoogleConnection, calendars: list[str], busy_calendar: str | None) -> GoogleConnection:
    removed = set(connection.calendars) - set(calendars)
    connection.calendars = calendars
    if busy_calendar:
        connection.busy_calendar = busy_calendar
    with transaction.atomic():
        connection.save(update_fields=["calendars", "busy_calendar"])
        BusyPeriod.objects.filter(user_id=connection.user_id, source=BusySource.GOOGLE,
                                  external_calendar__in=removed).delete()
        announce_free_time_changed([connection.user_id])
    return connection


def google_disconnect(*, connection: GoogleConnection) -> None:
    try:
        token = decrypt(connection.refresh_token_encrypted)
    except Undecryptable:
        token = ""  # nothing we can revoke at Google; the local grant goes anyway
    with transaction.atomic():
        BusyPeriod.objects.filter(user_id=connection.user_id, source=BusySource.GOOGLE).delete()
        connection.delete()
        announce_free_time_changed([connection.user_id])
    if token:
        client.revoke(token)


def busy_block_id(interview: Interview, user_id: int) -> str:
    """Our own event id for an interview's block on one interviewer's calendar (base32hex: 0-9, a-v)."""
    return "iv" + hashlib.sha256(f"{interview.uid}:{user_id}".encode()).hexdigest()[:40]


def busy_block_event(interview: Interview, user_id: int) -> dict:
    return {
        "id": busy_block_id(interview, user_id),
        "summary": f"{interview.display_title} (booked)",
        "start": {"dateTime": interview.start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": interview.end.isoformat(), "timeZone": "UTC"},
        "transparency": "opaque",
        "visibility": "private",
        "reminders": {"useDefault": True},
        "extendedProperties": {"private": {"interview_id": str(interview.pk), "interview_uid": interview.uid}},
    }


def busy_block_sync(*, interview_id: int, user_id: int) -> str:
    """Bring the interviewer's calendar in line with the interview: put the block, or delete it.
    Safe to run twice; a transient Google error raises, so the task is tried again later."""
    interview = Interview.objects.filter(pk=interview_id).first()
    connection = GoogleConnection.objects.filter(user_id=user_id, status=GoogleConnectionStatus.ACTIVE).first()
    if interview is None or connection is None:
        return "nothing to do"
    calendar_id = connection.busy_calendar or "primary"
    try:
        if interview.status == InterviewStatus.SCHEDULED and interview.interviewers.filter(pk=user_id).exists():
            return _call(connection, lambda creds: client.event_put(creds, calendar_id, busy_block_event(interview, user_id)))
        return _call(connection, lambda creds: client.event_delete(creds, calendar_id, busy_block_id(interview, user_id)))
    except client.GoogleError as exc:
        GoogleConnection.objects.filter(pk=connection.pk).update(last_error=str(exc)[:2000])
        if exc.permanent:
            return "failed"
        raise


def google_sync_all() -> int:
    ids = list(GoogleConnection.objects.filter(status=GoogleConnectionStatus.ACTIVE).values_list("user_id", flat=True))
    for user_id in ids:
        async_task("integrations.google.tasks.sync_google", user_id)
    return len(ids)
