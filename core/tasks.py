"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from core.idempotency import idempotency_records_purge
from core.tokens import cache_repairs_apply, tokens_expired_purge


def purge_idempotency_records() -> int:
    return idempotency_records_purge()


def apply_cache_repairs() -> int:
    """Every minute: cache writes that failed during an outage, written now (raises while still down)."""
    return cache_repairs_apply()


def purge_expired_tokens() -> int:
    """Daily: expired API tokens deleted."""
    return tokens_expired_purge()
