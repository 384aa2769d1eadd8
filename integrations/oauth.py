"""The calendars an interviewer connects by signing in (Google, Microsoft 365): the sign-in's state, and the
grant, kept encrypted on the connection.

A sign-in's ``state`` is signed, names the user and is good for one callback within ten minutes; what the
provider's library must keep for the callback (the PKCE verifier, msal's flow) stays here, in the cache. A
grant that no key decrypts, that has no refresh token, or that the provider revoked marks the connection
broken: the user must connect again.
"""

import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.core.cache import cache
from rest_framework.exceptions import ValidationError

from core.models import User
from integrations.connections import mark_broken
from integrations.google.crypto import Undecryptable, encrypt
from integrations.models import ConnectionStatus

STATE_MAX_AGE = 600


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expiry: datetime | None
    scopes: list[str]


@dataclass(frozen=True)
class SignIn:
    """One provider's sign-ins: states signed with ``salt``; what is kept for the callback under ``kept_key``
    (formatted with the state's nonce)."""

    salt: str
    kept_key: str

    def start(self, user: User, consent) -> str:
        """The consent URL: ``consent(state)`` answers it and what to keep for the callback."""
        nonce = secrets.token_urlsafe(16)
        state = signing.dumps({"u": user.pk, "n": nonce}, salt=self.salt)
        url, kept = consent(state)
        cache.set(self.kept_key.format(nonce), kept, STATE_MAX_AGE)
        return url

    def finish(self, state: str) -> tuple[User, object]:
        """The user the state names and what was kept for it (once only); a 400 naming ``state`` otherwise."""
        try:
            data = signing.loads(state, salt=self.salt, max_age=STATE_MAX_AGE)
        except signing.SignatureExpired:
            raise ValidationError({"state": ["The connection request expired; start again."]}) from None
        except signing.BadSignature:
            raise ValidationError({"state": ["The state is not valid."]}) from None
        kept = cache.get(self.kept_key.format(data["n"]))
        cache.delete(self.kept_key.format(data["n"]))  # one use only
        user = User.objects.filter(pk=data["u"], is_active=True).first()
        if user is None or kept is None:
            raise ValidationError({"state": ["The connection request was already used or has expired; start again."]})
        return user, kept


def grant_fields(tokens: Tokens) -> dict:
    """A new grant's fields of the connection: its tokens, encrypted, and the connection working again."""
    return {
        "refresh_token_encrypted": encrypt(tokens.refresh_token),
        "access_token_encrypted": encrypt(tokens.access_token),
        "access_token_expiry": tokens.expiry,
        "scopes": tokens.scopes,
        "status": ConnectionStatus.ACTIVE,
        "last_error": "",
    }


def keep_tokens(connection, tokens: Tokens) -> None:
    """Store the tokens a call ended with (refreshed ones), encrypted under the newest key."""
    type(connection).objects.filter(pk=connection.pk).update(
        access_token_encrypted=encrypt(tokens.access_token),
        refresh_token_encrypted=encrypt(tokens.refresh_token),
        access_token_expiry=tokens.expiry,
    )


@contextmanager
def grant(connection, stored_tokens, revoked):
    """The connection's tokens (``stored_tokens(connection)``) for the calls in the block. One that no key
    decrypts, or without a refresh token, marks the connection broken and raises ``revoked``, the provider's
    ``ConnectionBroken``; so does a ``revoked`` raised in the block."""
    try:
        tokens = stored_tokens(connection)
    except Undecryptable as exc:
        mark_broken(connection, str(exc))
        raise revoked(str(exc)) from exc
    if not tokens.refresh_token:
        mark_broken(connection, str(revoked()))
        raise revoked()
    try:
        yield tokens
    except revoked as exc:
        mark_broken(connection, str(exc))
        raise
