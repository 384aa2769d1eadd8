"""Feed tokens: long, random-looking, derived from the secret key and a per-user salt, stored as a hash.

Deriving the token lets ``/me`` show the feed address again without keeping the token itself; rotating the
salt retires the old address at once. The hash is written when a user is created (a ``post_save`` receiver,
so every path that creates users is covered), when the salt rotates, and by ``manage.py feed_tokens_refresh``
after the secret key changed; reading ``/me`` never writes.
"""

import hashlib
import hmac

from django.conf import settings
from django.urls import reverse

from core.models import User, new_feed_salt
from core.tokens import user_cache_forget


def feed_token(user: User) -> str:
    message = f"feed:{user.pk}:{user.feed_salt}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(user: User) -> str:
    return reverse("feed", kwargs={"token": feed_token(user)})


def feed_token_hash_refresh(*, user: User) -> bool:
    """Store the hash of the user's current feed token if it is not the one stored; True when it wrote."""
    token_hash = hash_feed_token(feed_token(user))
    if user.feed_token_hash == token_hash:
        return False
    User.objects.filter(pk=user.pk).update(feed_token_hash=token_hash)
    user_cache_forget(user_id=user.pk)  # the cached copy holds the old hash
    user.feed_token_hash = token_hash
    return True


def feed_tokens_refresh() -> int:
    """Bring every stored feed token hash in line with the current secret key; how many changed."""
    changed = 0
    for user in User.objects.only("pk", "feed_salt", "feed_token_hash").iterator():
        changed += feed_token_hash_refresh(user=user)
    return changed


def feed_url(user: User, request=None) -> str:
    path = feed_path(user)
    return request.build_absolute_uri(path) if request is not None else settings.PUBLIC_BASE_URL + path


def feed_token_rotate(*, user: User) -> None:
    user.feed_salt = new_feed_salt()
    user.feed_token_hash = hash_feed_token(feed_token(user))
    user.save(update_fields=["feed_salt", "feed_token_hash"])


def user_for_feed_token(token: str) -> User | None:
    if len(token) != 64:
        return None
    return User.objects.filter(feed_token_hash=hash_feed_token(token), is_active=True).first()
