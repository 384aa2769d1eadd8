"""The shared cache (and the task broker) on Redis, as a cache and not a single point of failure.

Django's Redis cache with short socket timeouts and a breaker: after a connection error or a timeout, every
call in this process fails at once (``CacheUnavailable``) for ``BREAKER_SECONDS`` instead of waiting on the
socket again; then one call tries Redis again. Callers catch ``CACHE_ERRORS`` and fall back (token checks go
to the database, throttles and login limits count in the process); ``/readyz`` sees the error.
"""

import logging
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf

logger = logging.getLogger(__name__)


class CacheUnavailable(redis.exceptions.ConnectionError):
    """Redis failed a moment ago; not tried again yet."""


# What a cache call raises when the cache is down (redis-py's errors include timeouts and refused connections).
CACHE_ERRORS = (redis.exceptions.RedisError, OSError)
# The narrower set an unhandled error must be in to answer 503 rather than 500 (core.middleware).
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# Per process and per Redis location: monotonic time until which calls fail at once.
_open_until: dict[str, float] = {}

_METHODS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many", "clear",
            "count")


class _OneClientPerPool(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` for every call (its tables of reply parsers made anew each
    time: a fifth of a small request's cache time); one per connection pool does the same work."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
        options = dict(self._options)
        self._breaker_seconds = float(options.pop("BREAKER_SECONDS", 2.0))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        self._options = options
        self._breaker_key = ",".join(self._servers)

    def cache_is_open(self) -> bool:
        """True while the breaker is open (Redis failed less than BREAKER_SECONDS ago)."""
        return time.monotonic() < _open_until.get(self._breaker_key, 0.0)

    def count(self, key: str, timeout: int) -> int:
        """Add one to the counter ``key``, made at 0 to live ``timeout`` seconds when missing; its new value.
        One round trip, atomic (MULTI/EXEC). Django's ``add`` and then ``incr`` took three: its ``incr`` asks
        whether the key exists first. The value is the plain integer ``get`` and ``incr`` read and write."""
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline()
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]


def _guarded(name: str):
    plain = getattr(ResilientRedisCache, name)  # Django's, or one of this class's own (count)

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


_broker_clients: dict[str, redis.Redis] = {}


class ResilientRedisBroker(RedisBroker):
    """django-q2's Redis broker (``Q_CLUSTER["broker_class"]``) with socket timeouts and the cache's breaker.

    A request that queues a task (an invite, a sync) must not hang on a stuck Redis: ``enqueue`` fails at once
    while the breaker of that Redis is open, and otherwise within ``socket_timeout``; callers queue with
    ``on_commit(..., robust=True)`` and the outbox schedules send what was not queued. The worker's blocking
    pop waits 1 s on the server and has a connection of its own with a patient read timeout (a slow answer
    there only delays the worker; a timeout would make django-q pause it for 10 s).
    """

    SOCKET_TIMEOUT = 2.5
    CONNECT_TIMEOUT = 0.5
    WORKER_SOCKET_TIMEOUT = 15

    def __init__(self, list_key: str = None):
        super().__init__(list_key=list_key)
        self._blocking = None

    def dequeue(self):
        if self._blocking is None:
            self._blocking = redis.Redis.from_url(Conf.REDIS, socket_timeout=self.WORKER_SOCKET_TIMEOUT,
                                                  socket_connect_timeout=self.WORKER_SOCKET_TIMEOUT)
        task = self._blocking.blpop(self.list_key, 1)
        if task:
            return [(None, task[1])]
        return None

    @staticmethod
    def get_connection(list_key: str = None) -> redis.Redis:
        """One client per process and Redis: django-q makes a broker for every task it queues, and a new
        client would open a new connection each time (redis-py's pool reconnects after a fork by itself)."""
        client = _broker_clients.get(Conf.REDIS)
        if client is None:
            client = _broker_clients[Conf.REDIS] = redis.Redis.from_url(
                Conf.REDIS, socket_timeout=ResilientRedisBroker.SOCKET_TIMEOUT,
                socket_connect_timeout=ResilientRedisBroker.CONNECT_TIMEOUT)
        return client

    def enqueue(self, task):
        key = Conf.REDIS
        if time.monotonic() < _open_until.get(key, 0.0):
            raise CacheUnavailable("The task broker is unavailable (Redis failed a moment ago).")
        try:
            return super().enqueue(task)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            _open_until[key] = time.monotonic() + 2.0
            logger.warning("The task broker is unavailable (%s: %s)", type(exc).__name__, exc)
            raise
