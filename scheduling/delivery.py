"""Sending invites from the outbox (``InviteDelivery``).

A worker claims a delivery with a conditional update that stamps ``claimed_at``; only the holder of that
claim may mark it sent or failed. A claim older than the send timeout (longer than a task may run before
the task queue kills it) belongs to a worker that died, and only such a claim is put back: a send still
under way is never started a second time. A failed send stays pending with its error and is tried again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from scheduling.invites import invite_message
from scheduling.models import DeliveryStatus, InviteDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def send_timeout() -> timedelta:
    """How long a claimed send may take: the task queue's own timeout for a task, plus a margin."""
    return timedelta(seconds=settings.Q_CLUSTER.get("timeout", 120) + 60)


class InviteSendError(Exception):
    permanent = False


def invite_send(*, delivery_id: int) -> str:
    claimed_at = timezone.now()
    claimed = InviteDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not pending"
    mine = InviteDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, claimed_at=claimed_at)
    delivery = (
        InviteDelivery.objects.select_related("interview__candidate", "recipient")
        .prefetch_related("interview__interviewers")
        .get(pk=delivery_id)
    )
    newer = InviteDelivery.objects.filter(
        interview_id=delivery.interview_id, recipient_id=delivery.recipient_id, sequence__gt=delivery.sequence
    )
    if newer.exists():  # the recipient has a later invite for this interview: this one is out of date
        mine.update(status=DeliveryStatus.SUPERSEDED)
        return "superseded"
    try:
        invite_message(delivery.interview, delivery.recipient, delivery.method).send()
    except Exception as exc:  # an SMTP error of any kind: keep the row pending and try again later
        mine.update(status=DeliveryStatus.PENDING, claimed_at=None, last_error=str(exc)[:2000])
        logger.warning("invite %s to %s failed: %s", delivery_id, delivery.recipient_id, exc)
        raise InviteSendError(str(exc)) from exc
    mine.update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def invites_retry_pending() -> int:
    """Queue again every invite still pending (a send that failed), and every claim older than the send
    timeout (a worker that died while sending)."""
    stale = timezone.now() - send_timeout()
    InviteDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=stale).update(
        status=DeliveryStatus.PENDING, claimed_at=None
    )
    pending = list(
        InviteDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)
    )
    for delivery_id in pending:
        async_task("scheduling.tasks.send_invite", delivery_id)
    return len(pending)
