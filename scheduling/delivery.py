"""Sending invites from the outbox (``InviteDelivery``): claimed with a conditional update, so running a
send twice is harmless; a failed send stays pending with its error and is tried again."""

import logging
from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from scheduling.invites import invite_message
from scheduling.models import DeliveryStatus, InviteDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
STUCK_AFTER = timedelta(minutes=10)


class InviteSendError(Exception):
    permanent = False


def invite_send(*, delivery_id: int) -> str:
    claimed = InviteDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not pending"
    delivery = (
        InviteDelivery.objects.select_related("interview__candidate", "recipient")
        .prefetch_related("interview__interviewers")
        .get(pk=delivery_id)
    )
    if delivery.sequence < delivery.interview.sequence:
        InviteDelivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SUPERSEDED)
        return "superseded"
    try:
        invite_message(delivery.interview, delivery.recipient, delivery.method).send()
    except Exception as exc:  # an SMTP error of any kind: keep the row pending and try again later
        InviteDelivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.PENDING, last_error=str(exc)[:2000])
        logger.warning("invite %s to %s failed: %s", delivery_id, delivery.recipient_id, exc)
        raise InviteSendError(str(exc)) from exc
    InviteDelivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def invites_retry_pending() -> int:
    """Queue again every invite still pending (a send that failed) or stuck half-way (a worker that died)."""
    now = timezone.now()
    InviteDelivery.objects.filter(status=DeliveryStatus.SENDING, created__lt=now - STUCK_AFTER).update(
        status=DeliveryStatus.PENDING
    )
    pending = list(
        InviteDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)
    )
    for delivery_id in pending:
        async_task("scheduling.tasks.send_invite", delivery_id)
    return len(pending)
