"""Throttles for the public calls: per client IP and per link, counted in the shared cache.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``public`` and ``public_link``) when
set there, else from ``RATES``. A throttled call answers 429 ``rate_limited`` with ``Retry-After``."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from links.tokens import hash_link_token

RATES = {"public": "300/min", "public_link": "120/min"}


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or RATES[self.scope]


class PublicIPThrottle(_Throttle):
    scope = "public"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicLinkThrottle(_Throttle):
    scope = "public_link"

    def get_cache_key(self, request, view):
        token = view.kwargs.get("token") or ""
        return self.cache_format % {"scope": self.scope, "ident": hash_link_token(token)[:32]}
