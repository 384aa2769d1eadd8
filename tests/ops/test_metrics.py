"""GET /metrics: Prometheus text behind METRICS_TOKEN; requests by view, conflicts, deliveries, syncs, queue."""

import re

import pytest
from django.test import Client

from ops.receivers import count_task
from scheduling.models import DeliveryStatus, InviteDelivery
from tests.conftest import assert_error
from tests.scheduling.helpers import book, free

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-0123456789"


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> str:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return get


def value(text: str, name: str, **labels) -> float:
    """The sample ``name{labels}`` (labels matched as a subset); 0 when absent."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def test_metrics_are_off_without_a_token(settings):
    settings.METRICS_TOKEN = ""
    assert_error(Client().get("/metrics"), 404, "not_found")


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
def test_metrics_refuse_a_wrong_token(settings, header):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = Client().get("/metrics", **extra)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_metrics_answer_a_scraper_by_address(scrape):
    # Prometheus reaches each process by its address, not the public host name
    response = Client().get("/metrics", HTTP_HOST="10.0.0.7:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert_error(Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"), 405, "method_not_allowed")


def test_requests_are_counted_by_view(scrape, candidate_client):
    before = scrape()
    for _ in range(3):
        candidate_client.get("/api/v1/me")
    after = scrape()
    labels = {"view": "me", "method": "GET", "status": "200"}
    assert value(after, "interviews_http_requests_total", **labels) - value(
        before, "interviews_http_requests_total", **labels) == 3
    assert value(after, "interviews_http_request_duration_seconds_count", view="me") >= 3


def test_junk_methods_do_not_grow_the_labels(scrape):
    Client().generic("BREW", "/healthz")
    text = scrape()
    assert 'method="BREW"' not in text
    assert value(text, "interviews_http_requests_total", view="healthz", method="other") >= 1


def test_booking_conflicts_and_deliveries(scrape, hr_client, candidate, interviewer,
                                          django_capture_on_commit_callbacks):
    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        assert book(hr_client, candidate, [interviewer], 10).status_code == 201
    assert book(hr_client, candidate, [interviewer], 10).status_code == 409
    after = scrape()
    assert value(after, "interviews_booking_conflicts_total") - value(before, "interviews_booking_conflicts_total") == 1
    # the test settings send invites inline: both are sent
    sent = InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count()
    assert sent == 2 and value(after, "interviews_invite_deliveries", state="sent") == sent
    InviteDelivery.objects.filter(pk=InviteDelivery.objects.first().pk).update(
        status=DeliveryStatus.PENDING, last_error="SMTP is down")
    text = scrape()
    assert value(text, "interviews_invite_deliveries", state="failed") == 1
    assert value(text, "interviews_invite_deliveries", state="sent") == 1
    assert value(text, "interviews_invite_deliveries", state="pending") == 0


def test_calendar_syncs_and_tasks_are_counted(scrape):
    before = scrape()
    count_task(task={"func": "integrations.tasks.sync_subscription", "success": False})
    count_task(task={"func": "integrations.google.tasks.sync_google", "success": True})
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("interviews_calendar_syncs_total", kind="ical", result="failure") == 1
    assert delta("interviews_calendar_syncs_total", kind="google", result="success") == 1
    assert delta("interviews_tasks_total", task="integrations.tasks.sync_subscription", result="failure") == 1


def test_task_queue_length_is_read_from_the_broker(scrape):
    from django_q.brokers import get_broker
    from django_q.tasks import async_task

    broker = get_broker()  # the cluster's own queue (on Redis when REDIS_URL is set, else the database)
    base = broker.queue_size()
    try:
        for _ in range(2):
            async_task("scheduling.tasks.retry_pending_invites", broker=broker, sync=False)
        assert value(scrape(), "interviews_task_queue_length") == base + 2
    finally:
        broker.purge_queue()
