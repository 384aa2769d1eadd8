"""Feed tokens: long, random-looking, derived from the secret key and a per-user salt, stored as a hash.

Deriving the token lets ``/me`` show the feed address again without keeping the token itself; rotating the
salt retires the old address at once.
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
    token = feed_token(user)
    token_hash = hash_feed_token(token)
    if user.feed_token_hash != token_hash:
        User.objects.filter(pk=user.pk).update(feed_token_hash=token_hash)
        user_cache_forget(user_id=user.pk)  # the cached copy holds the old hash
        user.feed_token_hash = token_hash
    return reverse("feed", kwargs={"token": token})


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
