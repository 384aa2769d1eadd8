"""Encryption at rest for calendar grants (Fernet).

The keys are FIELD_ENCRYPTION_KEYS, newest first (MultiFernet): the newest encrypts, every one decrypts, so a
key can be rotated by putting a new one in front and dropping the old one once ``rotated`` has re-encrypted
what it wrote (every write re-encrypts under the newest key). Without keys, one is derived from SECRET_KEY.
A value that no key decrypts raises ``Undecryptable``: the caller marks the grant broken and says why; it is
never silently read as empty.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Undecryptable(ValueError):
    """No configured key decrypts the value (a key was removed from FIELD_ENCRYPTION_KEYS, or the secret key
    it was derived from changed)."""

    def __init__(self, message: str = "The stored grant cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS "
                 "(a key was rotated out); connect the calendar again."):
        super().__init__(message)


def _keys() -> tuple[str, ...]:
    keys = tuple(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or ())
    if not keys and getattr(settings, "FIELD_ENCRYPTION_KEY", ""):
        keys = (settings.FIELD_ENCRYPTION_KEY,)
    return keys


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        digest = hashlib.sha256(b"google-token-encryption:" + secret_key.encode()).digest()
        return MultiFernet([Fernet(base64.urlsafe_b64encode(digest))])
    fernets = []
    for index, key in enumerate(keys):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS item {index + 1} is not a Fernet key (32 url-safe base64 bytes)."
            ) from None
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    return _fernet_for(_keys(), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    """The plain value; ``Undecryptable`` when no key decrypts it."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise Undecryptable() from None


def is_current(value: str) -> bool:
    """True when the newest key encrypted ``value`` (or it is empty): nothing to re-encrypt."""
    if not value:
        return True
    newest = _fernet()._fernets[0]
    try:
        newest.decrypt(value.encode())
    except InvalidToken:
        return False
    return True


def check_keys() -> None:
    """Raises ImproperlyConfigured for a malformed key (run at startup by a system check)."""
    _fernet()
