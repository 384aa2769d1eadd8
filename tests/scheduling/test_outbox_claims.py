"""The invite outbox: a send is claimed with a time; only a claim older than the send timeout is put back."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from scheduling.delivery import invite_send, invites_retry_pending, send_timeout
from scheduling.models import DeliveryStatus, InviteDelivery
from tests.scheduling.helpers import book, free

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliveries(hr_client, candidate, interviewer):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    assert book(hr_client, candidate, [interviewer], 10).status_code == 201  # on-commit not run: pending
    rows = list(InviteDelivery.objects.order_by("pk"))
    assert len(rows) == 2
    return rows


def test_a_send_under_way_is_not_sent_again(deliveries):
    """An old delivery (created an hour ago) whose send began a minute ago: still being sent, left alone."""
    now = timezone.now()
    InviteDelivery.objects.update(created=now - timedelta(hours=1))
    InviteDelivery.objects.filter(pk=deliveries[0].pk).update(status=DeliveryStatus.SENDING,
                                                              claimed_at=now - timedelta(minutes=1))
    assert invites_retry_pending() == 1  # only the other, pending one
    assert InviteDelivery.objects.get(pk=deliveries[0].pk).status == DeliveryStatus.SENDING
    assert [m.to for m in mail.outbox] == [[deliveries[1].recipient.email]]


def test_a_claim_older_than_the_send_timeout_is_taken_back(deliveries):
    stale = timezone.now() - send_timeout() - timedelta(seconds=1)
    InviteDelivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=stale)
    assert invites_retry_pending() == 2
    assert InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert len(mail.outbox) == 2


def test_the_claim_is_stamped_and_sending_twice_is_harmless(deliveries):
    before = timezone.now()
    assert invite_send(delivery_id=deliveries[0].pk) == "sent"
    row = InviteDelivery.objects.get(pk=deliveries[0].pk)
    assert row.claimed_at is not None and row.claimed_at >= before and row.attempts == 1
    assert invite_send(delivery_id=deliveries[0].pk) == "not pending"
    assert len(mail.outbox) == 1


def test_a_worker_that_lost_its_claim_does_not_overwrite_the_new_one(deliveries, monkeypatch):
    """While the first (slow) worker sends, its claim goes stale and is taken back; when it finishes it
    must not mark the row sent over the claim of the worker that now holds it."""
    import scheduling.delivery as delivery_module

    real = delivery_module.invite_message

    def slow_message(*args, **kwargs):
        message = real(*args, **kwargs)
        InviteDelivery.objects.filter(pk=deliveries[0].pk).update(claimed_at=timezone.now() + timedelta(seconds=5))
        return message

    monkeypatch.setattr(delivery_module, "invite_message", slow_message)
    assert invite_send(delivery_id=deliveries[0].pk) == "sent"
    row = InviteDelivery.objects.get(pk=deliveries[0].pk)
    assert row.status == DeliveryStatus.SENDING and row.sent_at is None  # left to the claim's holder
