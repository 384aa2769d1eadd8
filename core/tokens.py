"""API tokens: issued once, stored as a hash, resolved from the cache on every request.

The cache holds two kinds of entries: ``token -> (user id, expiry)`` and ``user id -> user snapshot``.
A warm request reads both with one ``get_many`` and never touches the database. Logging out or changing
a password deletes the entries, so with a shared cache (Redis) the token stops working everywhere at once.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.models import AuthToken, User

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
    key = secrets.token_urlsafe(32)
    AuthToken.objects.create(
        key_hash=hash_key(key),
        user=user,
        expires=timezone.now() + timedelta(days=settings.AUTH_TOKEN_TTL_DAYS),
    )
    return key


# A revoked token leaves a tombstone in the cache, and cache fills only *add*: a request that read the token
# from the database just before it was revoked cannot put it back.
_REVOKED = {"revoked": True}


def _tombstone_seconds() -> int:
    return settings.AUTH_TOKEN_CACHE_SECONDS + 60


def token_revoke(*, key: str) -> None:
    key_hash = hash_key(key)
    AuthToken.objects.filter(key_hash=key_hash).delete()
    cache.set(_token_cache_key(key_hash), _REVOKED, _tombstone_seconds())


def tokens_revoke_all(*, user_id: int) -> None:
    hashes = list(AuthToken.objects.filter(user_id=user_id).values_list("key_hash", flat=True))
    AuthToken.objects.filter(user_id=user_id).delete()
    cache.set_many({_token_cache_key(h): _REVOKED for h in hashes}, _tombstone_seconds())
    cache.delete(_user_cache_key(user_id))


def user_cache_forget(*, user_id: int) -> None:
    cache.delete(_user_cache_key(user_id))


def _snapshot(user: User) -> dict:
    return {field: getattr(user, field) for field in _SNAPSHOT_FIELDS}


def _from_snapshot(data: dict) -> User:
    user = User(**data)
    user._state.adding = False
    user._state.db = "default"
    return user


def user_for_key(key: str) -> User | None:
    """The active user a token key belongs to, or None. Zero queries when the cache is warm."""
    key_hash = hash_key(key)
    now = timezone.now()
    token_entry = cache.get(_token_cache_key(key_hash))
    if token_entry is None:
        token = AuthToken.objects.filter(key_hash=key_hash).select_related("user").first()
        if token is None or token.expires <= now or not token.user.is_active:
            return None
        token_entry = {"user_id": token.user_id, "expires": token.expires.timestamp()}
        ttl = min(settings.AUTH_TOKEN_CACHE_SECONDS, int(token.expires.timestamp() - now.timestamp()) + 1)
        cache.add(_token_cache_key(key_hash), token_entry, ttl)
        cache.add(_user_cache_key(token.user_id), _snapshot(token.user), settings.AUTH_TOKEN_CACHE_SECONDS)
        return token.user
    if token_entry.get("revoked") or token_entry["expires"] <= now.timestamp():
        return None
    snapshot = cache.get(_user_cache_key(token_entry["user_id"]))
    if snapshot is None:
        user = User.objects.filter(pk=token_entry["user_id"], is_active=True).first()
        if user is None:
            return None
        cache.add(_user_cache_key(user.pk), _snapshot(user), settings.AUTH_TOKEN_CACHE_SECONDS)
        return user
    if not snapshot["is_active"]:
        return None
    return _from_snapshot(snapshot)
