"""The address of the client a request came from.

``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` (``DJANGO_TRUSTED_PROXY_COUNT``) says that many proxies of ours
stand in front of the app: then the client is the address the outermost of them saw, the N-th from the right
in ``X-Forwarded-For`` (each proxy appends the address it received the request from; anything to the left of
that was written by the client and is not trusted). A value that is not an IP address is ignored.
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    remote = _valid(request.META.get("REMOTE_ADDR") or "") or "unknown"
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    if not forwarded:
        return remote
    return _valid(forwarded[-min(proxies, len(forwarded))]) or remote
