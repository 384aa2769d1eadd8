"""Encryption at rest for Google tokens (Fernet). The key is FIELD_ENCRYPTION_KEY, or derived from SECRET_KEY."""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    if settings.FIELD_ENCRYPTION_KEY:
        return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())
    digest = hashlib.sha256(b"google-token-encryption:" + key_material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(value.encode()).decode()
    except InvalidToken:
        return ""  # the key changed: the grant is unreadable, and the user must connect again
