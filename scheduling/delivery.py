"""Sending invites from the outbox (``InviteDelivery``).

A worker claims a delivery with a conditional update that stamps ``claimed_at``; only the holder of that
claim may mark it sent or failed. A claim older than the send timeout (longer than a task may run before
the task queue kills it) belongs to a worker that died, and only such a claim is put back: a send still
under way is never started a second time. A failed send stays pending with its error and is tried again.
Invites go out in batches, one SMTP connection each: a booking's invites are one task.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Exists, F, OuterRef
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


# Invites sent by one task over one SMTP connection (the retry schedule queues the pending ones in batches).
BATCH_SIZE = 100


def invites_send(*, delivery_ids: list[int]) -> dict[int, str]:
    """Send these invites over one SMTP connection; answers what became of each ("sent", "superseded",
    "failed", or "not pending" when another worker holds it or it was sent already).

    The claim is one update for the batch; a recipient with a later invite for the same interview gets
    nothing (that one is on its way). A failed send stays pending with its error, for the retry schedule."""
    claimed_at = timezone.now()
    InviteDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    mine = InviteDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at=claimed_at)
    newer = InviteDelivery.objects.filter(
        interview_id=OuterRef("interview_id"), recipient_id=OuterRef("recipient_id"), sequence__gt=OuterRef("sequence")
    )
    deliveries = list(
        mine.filter(pk__in=delivery_ids)
        .select_related("interview__candidate", "recipient")
        .prefetch_related("interview__interviewers")
        .annotate(outdated=Exists(newer))
        .order_by("pk")
    )
    outcome = dict.fromkeys(delivery_ids, "not pending")
    superseded = [d.pk for d in deliveries if d.outdated]
    outcome.update(dict.fromkeys(superseded, "superseded"))
    to_send = [d for d in deliveries if not d.outdated]
    sent, failed = [], {}
    if to_send:
        connection = get_connection()
        try:
            connection.open()
            for delivery in to_send:
                try:
                    message = invite_message(delivery.interview, delivery.recipient, delivery.method)
                    message.connection = connection
                    message.send()
                    sent.append(delivery.pk)
                except Exception as exc:  # this message only: bad address, a refused recipient
                    failed[delivery.pk] = exc
        except Exception as exc:  # the SMTP server could not be reached: every send failed
            failed.update({d.pk: exc for d in to_send if d.pk not in sent and d.pk not in failed})
        finally:
            try:
                connection.close()
            except Exception:  # noqa: S110 - a connection that breaks on QUIT has delivered what it accepted
                pass
    if superseded:
        mine.filter(pk__in=superseded).update(status=DeliveryStatus.SUPERSEDED)
    if sent:
        mine.filter(pk__in=sent).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    for pk, exc in failed.items():
        mine.filter(pk=pk).update(status=DeliveryStatus.PENDING, claimed_at=None, last_error=str(exc)[:2000])
        logger.warning("invite %s failed: %s", pk, exc)
    outcome.update(dict.fromkeys(sent, "sent"))
    outcome.update(dict.fromkeys(failed, "failed"))
    return outcome


def invite_send(*, delivery_id: int) -> str:
    """One invite (tasks queued by an earlier version name one delivery each); a failed send raises, so that
    the task queue tries it again."""
    result = invites_send(delivery_ids=[delivery_id])[delivery_id]
    if result == "failed":
        raise InviteSendError(InviteDelivery.objects.get(pk=delivery_id).last_error)
    return result


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
    for at in range(0, len(pending), BATCH_SIZE):
        async_task("scheduling.tasks.send_invites", pending[at:at + BATCH_SIZE])
    return len(pending)
