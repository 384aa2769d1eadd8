"""``Idempotency-Key`` on a POST: the first answer is kept, and a retry with the same key gets it again.

The key is claimed (a unique row, its ``created`` time is the claim's time) before the work starts, so two
copies of one request sent at once do one piece of work: the second waits for the first's answer. A claim
with no answer that is older than ``REQUEST_TIMEOUT_SECONDS`` belongs to a request that died (a killed worker):
a retry takes it over with a conditional update, and only the current holder of a claim may store its answer.
"""

import functools
import hashlib
import json
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from core.errors import Conflict, exception_handler
from core.models import IdempotencyRecord

WAIT_SECONDS = 10.0
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    """The request's method, path and body; an uploaded file counts by its content."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # a form: files are in request.FILES, not in the JSON-able part
        data = {key: values for key, values in data.lists() if key not in request.FILES}
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"{name}:{upload.name}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _wait_for_answer(record_id: int) -> IdempotencyRecord | None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        record = IdempotencyRecord.objects.filter(pk=record_id).first()
        if record is None or record.status_code is not None:
            return record
        time.sleep(0.05)
    return None


def _take_over(existing: IdempotencyRecord) -> IdempotencyRecord | None:
    """The claim, if it has no answer and is older than a request may run; None when it is not ours to take."""
    now = timezone.now()
    if existing.status_code is not None or existing.created >= now - timedelta(seconds=settings.REQUEST_TIMEOUT_SECONDS):
        return None
    taken = IdempotencyRecord.objects.filter(pk=existing.pk, created=existing.created, status_code__isnull=True).update(
        created=now
    )
    if not taken:
        return None
    existing.created = now
    return existing


def idempotent(view_method):
    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationError({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]})
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user_id=request.user.pk, key=key, fingerprint=fingerprint)
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(user_id=request.user.pk, key=key)
            if existing.fingerprint != fingerprint:
                raise Conflict("This Idempotency-Key was already used for a different request.") from None
            record = _take_over(existing)
            if record is None:
                answered = _wait_for_answer(existing.pk)
                if answered is None:
                    raise Conflict("A request with this Idempotency-Key is still in progress.") from None
                return _replay(answered)
        mine = IdempotencyRecord.objects.filter(pk=record.pk, created=record.created, status_code__isnull=True)
        try:
            response = view_method(self, request, *args, **kwargs)
        except APIException as exc:
            response = exception_handler(exc, {"request": request, "view": self})
        except BaseException:
            mine.delete()  # an unexpected failure did nothing: let a retry run again
            raise
        mine.update(status_code=response.status_code, body=response.data)
        return response

    wrapper.idempotent = True  # core.schema documents the Idempotency-Key header and the 409 of such views
    return wrapper


KEEP_FOR = timedelta(hours=24)


def idempotency_records_purge() -> int:
    """Forget answers older than a day: a retry comes within minutes, not days."""
    deleted, _ = IdempotencyRecord.objects.filter(created__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
