"""Readiness: the database, the cache and the task broker, each checked with a short bound."""

import uuid
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("the database answered nonsense")


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("the cache lost a value just written")
    finally:
        cache.delete(key)


@lru_cache(maxsize=1)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
    )


def check_broker() -> None:
    url = settings.Q_CLUSTER.get("redis")
    if url:
        _redis(url).ping()
    else:  # the ORM broker: its queue table answers
        from django_q.models import OrmQ

        OrmQ.objects.exists()


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def readiness() -> dict[str, str]:
    """``{"database": "ok", "cache": "ConnectionError: ...", ...}``"""
    out = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of that part means "not ready"
            out[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            out[name] = "ok"
    return out
