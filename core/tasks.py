"""django-q2 tasks: thin, take ids, call one service, safe to run twice."""

from core.idempotency import idempotency_records_purge


def purge_idempotency_records() -> int:
    return idempotency_records_purge()
