"""The shared cache on Redis, as a cache and not a single point of failure.

Django's Redis cache with short socket timeouts and a breaker: after a connection error or a timeout, every
call in this process fails at once (``CacheUnavailable``) for ``BREAKER_SECONDS`` instead of waiting on the
socket again; then one call tries Redis again. Callers catch ``CACHE_ERRORS`` and fall back (token checks go
to the database, throttles and login limits count in the process); ``/readyz`` sees the error.
"""

import logging
import time

import redis
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class CacheUnavailable(redis.exceptions.ConnectionError):
    """Redis failed a moment ago; not tried again yet."""


# What a cache call raises when the cache is down (redis-py's errors include timeouts and refused connections).
CACHE_ERRORS = (redis.exceptions.RedisError, OSError)
# The narrower set an unhandled error must be in to answer 503 rather than 500 (core.middleware).
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# Per process and per Redis location: monotonic time until which calls fail at once.
_open_until: dict[str, float] = {}

_METHODS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many", "clear")


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        options = dict(self._options)
        self._breaker_seconds = float(options.pop("BREAKER_SECONDS", 2.0))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        self._options = options
        self._breaker_key = ",".join(self._servers)

    def cache_is_open(self) -> bool:
        """True while the breaker is open (Redis failed less than BREAKER_SECONDS ago)."""
        return time.monotonic() < _open_until.get(self._breaker_key, 0.0)


def _guarded(name: str):
    plain = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if self.cache_is_open():
            raise CacheUnavailable("The cache is unavailable (it failed a moment ago).")
        try:
            return plain(self, *args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            _open_until[self._breaker_key] = time.monotonic() + self._breaker_seconds
            logger.warning("The cache is unavailable (%s: %s); calls fail at once for %.1f s",
                           type(exc).__name__, exc, self._breaker_seconds)
            raise

    method.__name__ = name
    method.__doc__ = plain.__doc__
    return method


for _name in _METHODS:
    setattr(ResilientRedisCache, _name, _guarded(_name))


def breaker_reset() -> None:
    """Close every breaker (tests)."""
    _open_until.clear()
