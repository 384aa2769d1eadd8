"""API tokens: issued once, stored as a hash, resolved from the cache on every request.

The cache holds two kinds of entries: ``token -> (user id, expiry)`` and ``user id -> user snapshot``.
A warm request reads both and never touches the database. Logging out or changing a password deletes the
token rows first and then tombstones the cache entries, so with a shared cache (Redis) the token stops
working everywhere at once.

The cache is a cache, not a single point of failure: when it errors (Redis stopped or stuck; see
core.cache_backends) a token is checked in the database, which is always written first. A cache write that
failed (a tombstone, a forgotten snapshot) is kept in the database as a ``CacheRepair`` and applied when the
cache answers again (before this process trusts the cache again, and every minute by a schedule), so a
stale entry left in Redis across an outage cannot bring a revoked token back.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.cache_backends import CACHE_ERRORS
from core.models import AuthToken, CacheRepair, User

logger = logging.getLogger(__name__)

_SNAPSHOT_FIELDS = (
    "id", "email", "name", "role", "timezone", "is_superuser", "is_staff", "is_active", "feed_salt", "feed_token_hash",
)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _token_cache_key(key_hash: str) -> str:
    return f"auth:token:{key_hash}"


def _user_cache_key(user_id: int) -> str:
    return f"auth:user:{user_id}"


def token_issue(*, user: User) -> str:
    """A new token. A person keeps at most ``MAX_TOKENS_PER_USER``: past that, the oldest are revoked (every
    login makes one, so an account logging in without end cannot grow the table without end)."""
    key = secrets.token_urlsafe(32)
    AuthToken.objects.create(
        key_hash=hash_key(key),
        user=user,
        expires=timezone.now() + timedelta(days=settings.AUTH_TOKEN_TTL_DAYS),
    )
    oldest = AuthToken.objects.filter(user=user).order_by("-created", "-pk")[settings.MAX_TOKENS_PER_USER:]
    if surplus := list(oldest.values_list("pk", flat=True)):
        AuthToken.objects.filter(pk__in=surplus).delete()  # tombstoned in the cache (core.signals)
    return key


def tokens_expired_purge() -> int:
    """Delete expired tokens (they no longer work: their rows only took room); how many."""
    expired = AuthToken.objects.filter(expires__lte=timezone.now())
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:1000]):
        deleted += AuthToken.objects.filter(pk__in=batch).delete()[0]
    return deleted


# A revoked token leaves a tombstone in the cache, and cache fills only *add*: a request that read the token
# from the database just before it was revoked cannot put it back.
_REVOKED = {"revoked": True}


def _tombstone_seconds() -> int:
    return settings.AUTH_TOKEN_CACHE_SECONDS + 60


# Set when this process saw the cache fail: repairs may be waiting, so apply them before trusting it again.
_repairs_due = False


def _cache_failed(exc: Exception, doing: str) -> None:
    global _repairs_due
    _repairs_due = True
    logger.warning("Cache unavailable while %s (%s); using the database", doing, exc)


def _cache_write(entries: dict, *, forget: list[str] = ()) -> None:
    """Set ``entries`` (tombstones) and delete ``forget``; what the cache refuses is kept as a repair."""
    try:
        if entries:
            cache.set_many(entries, _tombstone_seconds())
        if forget:
            cache.delete_many(list(forget))
        return
    except CACHE_ERRORS as exc:
        _cache_failed(exc, "revoking")
    expires = timezone.now() + timedelta(seconds=_tombstone_seconds())
    CacheRepair.objects.bulk_create(
        [CacheRepair(key=key, value=value, expires=expires) for key, value in entries.items()]
        + [CacheRepair(key=key, value=None, expires=expires) for key in forget]
    )


def cache_repairs_apply() -> int:
    """Write the cache entries that could not be written while the cache was down; how many were applied.
    Raises the cache's error when it is still down (the repairs stay)."""
    global _repairs_due
    now = timezone.now()
    repairs = list(CacheRepair.objects.order_by("id")[:1000])
    live = [r for r in repairs if r.expires > now]
    tombstones = {r.key: r.value for r in live if r.value is not None}
    forget = [r.key for r in live if r.value is None]
    if tombstones:
        cache.set_many(tombstones, _tombstone_seconds())
    if forget:
        cache.delete_many(forget)
    CacheRepair.objects.filter(id__in=[r.id for r in repairs]).delete()
    if len(repairs) < 1000:
        _repairs_due = False
    return len(live)


def token_hashes_forget(*, key_hashes: list[str]) -> None:
    """Tombstone these tokens in the cache. Call it after their rows are deleted: the database decides."""
    if key_hashes:
        _cache_write({_token_cache_key(h): _REVOKED for h in key_hashes})


# Deleting a token row, by any path (these functions, the admin, a cascade), tombstones it in the cache:
# core.signals calls token_hashes_forget after the row is gone.
def token_revoke(*, key: str) -> None:
    key_hash = hash_key(key)
    deleted, _ = AuthToken.objects.filter(key_hash=key_hash).delete()
    if not deleted:  # no row (already revoked): tombstone it all the same
        token_hashes_forget(key_hashes=[key_hash])


def tokens_revoke_all(*, user_id: int) -> None:
    AuthToken.objects.filter(user_id=user_id).delete()
    _cache_write({}, forget=[_user_cache_key(user_id)])


def user_cache_forget(*, user_id: int) -> None:
    _cache_write({}, forget=[_user_cache_key(user_id)])


def _snapshot(user: User) -> dict:
    return {field: getattr(user, field) for field in _SNAPSHOT_FIELDS}


def _from_snapshot(data: dict) -> User:
    user = User(**data)
    user._state.adding = False
    user._state.db = "default"
    return user


def _cache_add(key: str, value, ttl: int) -> None:
    try:
        cache.add(key, value, ttl)
    except CACHE_ERRORS as exc:
        _cache_failed(exc, "filling the token cache")


def _token_from_database(key_hash: str, now) -> AuthToken | None:
    token = AuthToken.objects.filter(key_hash=key_hash).select_related("user").first()
    if token is None or token.expires <= now or not token.user.is_active:
        return None
    return token


def _cached(key: str):
    """The cache's entry for ``key``; when repairs wait (the cache failed in this process), they go first."""
    entry = cache.get(key)
    if _repairs_due:
        cache_repairs_apply()
        entry = cache.get(key)
    return entry


def user_for_key(key: str) -> User | None:
    """The active user a token key belongs to, or None. Zero queries when the cache is warm; the database
    when the cache is down."""
    key_hash = hash_key(key)
    now = timezone.now()
    try:
        token_entry = _cached(_token_cache_key(key_hash))
    except CACHE_ERRORS as exc:
        _cache_failed(exc, "checking a token")
        token = _token_from_database(key_hash, now)
        return token.user if token else None
    if token_entry is None:
        token = _token_from_database(key_hash, now)
        if token is None:
            return None
        token_entry = {"user_id": token.user_id, "expires": token.expires.timestamp()}
        ttl = min(settings.AUTH_TOKEN_CACHE_SECONDS, int(token.expires.timestamp() - now.timestamp()) + 1)
        _cache_add(_token_cache_key(key_hash), token_entry, ttl)
        _cache_add(_user_cache_key(token.user_id), _snapshot(token.user), settings.AUTH_TOKEN_CACHE_SECONDS)
        return token.user
    if token_entry.get("revoked") or token_entry["expires"] <= now.timestamp():
        return None
    try:
        snapshot = cache.get(_user_cache_key(token_entry["user_id"]))
    except CACHE_ERRORS as exc:
        _cache_failed(exc, "reading a user")
        snapshot = None
    if snapshot is None:
        user = User.objects.filter(pk=token_entry["user_id"], is_active=True).first()
        if user is None:
            return None
        _cache_add(_user_cache_key(user.pk), _snapshot(user), settings.AUTH_TOKEN_CACHE_SECONDS)
        return user
    if not snapshot["is_active"]:
        return None
    return _from_snapshot(snapshot)
