"""Link tokens: 256-bit HMACs of the link's 128-bit random salt under the secret key; only their SHA-256
is stored. Deriving (as feed tokens do) lets an invite sent later by the outbox carry the link again
without the token being kept anywhere."""

import base64
import hashlib
import hmac

from django.conf import settings

TOKEN_LENGTH = 43  # base64url of 32 bytes, unpadded


def link_token(salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"scheduling-link:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)


def link_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/book/{token}"
