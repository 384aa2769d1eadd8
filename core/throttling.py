"""Request throttles, counted in the shared cache (so they hold across processes and machines).

A view names its scope, and the rate of each scope is in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
(``"<n>/<period>"``, period ``s``, ``m``, ``h`` or ``d``, optionally with a count: ``"10/15m"``), read from the
environment in config/settings.py. Too many: 429 ``rate_limited`` with ``Retry-After``.

- ``ScopedThrottle`` (the default class): the view's ``throttle_scope`` (only for the methods in
  ``throttle_methods`` when the view sets them), per user when authenticated, else per client IP. A ``POST`` to
  any path ending in ``/sync`` is in the ``sync`` scope even when its view names none.
- ``PublicThrottle`` (scope ``public``, per client IP) and ``PublicLinkThrottle`` (scope ``public_link``, per
  link token, from the URL's ``token``): for the public endpoints that need no ``Authorization``; use both::

      throttle_classes = [PublicThrottle, PublicLinkThrottle]

A scope with no rate is not throttled. When the shared cache is down, counting goes on per process.
"""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core import counters
from core.client_ip import client_ip
from core.rates import parse_rate


class _CountingThrottle(BaseThrottle):
    """Counts a hit on ``(scope, identity)``; refuses past the scope's rate. Subclasses say scope and identity."""

    scope: str | None = None

    def get_scope(self, request, view) -> str | None:
        return self.scope

    def get_ident(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self._wait = None
        scope = self.get_scope(request, view)
        if scope is None:
            return True
        rate = parse_rate(api_settings.DEFAULT_THROTTLE_RATES.get(scope))
        if rate is None:
            return True
        ident = self.get_ident(request, view)
        if ident is None:
            return True
        limit, window = rate
        count = counters.hit(f"throttle:{scope}:{ident}", window=window)
        if count.hits <= limit:
            return True
        self._wait = count.retry_after
        return False

    def wait(self):
        return self._wait


def _user_or_ip(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


class ScopedThrottle(_CountingThrottle):
    def get_scope(self, request, view) -> str | None:
        scope = getattr(view, "throttle_scope", None)
        methods = getattr(view, "throttle_methods", None)
        if scope is not None and (methods is None or request.method in methods):
            return scope
        if request.method == "POST" and request.path.rstrip("/").endswith("/sync"):
            return "sync"
        return None

    def get_ident(self, request, view) -> str:
        return _user_or_ip(request)


class PublicThrottle(_CountingThrottle):
    scope = "public"

    def get_ident(self, request, view) -> str:
        return f"ip:{client_ip(request)}"


class PublicLinkThrottle(_CountingThrottle):
    scope = "public_link"
    token_kwarg = "token"

    def get_ident(self, request, view) -> str | None:
        token = (getattr(view, "kwargs", None) or {}).get(self.token_kwarg)
        if not token:
            return None
        return "link:" + hashlib.sha256(str(token).encode()).hexdigest()[:32]
