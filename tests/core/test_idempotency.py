import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from slots.models import AvailabilityWindow, BusyPeriod
from tests import dates
from tests.conftest import assert_error
from tests.integrations.test_ical_import_api import ics

pytestmark = pytest.mark.django_db

MONDAY = dates.monday(2)
W = {"start": f"{MONDAY}T10:00:00Z", "end": f"{MONDAY}T14:00:00Z"}


def test_a_retried_availability_post_creates_once(candidate_client):
    first = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    again = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AvailabilityWindow.objects.count() == 1


def test_keys_belong_to_their_user(candidate_client, outsider_client, candidate, outsider):
    candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="same")
    r = outsider_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert r.status_code == 201 and r.json()["user"] == outsider.pk  # its own work, not the other user's answer
    assert sorted(AvailabilityWindow.objects.values_list("user_id", flat=True)) == sorted([candidate.pk, outsider.pk])


def test_an_upload_counts_by_its_content(candidate_client):
    def upload(content):
        return candidate_client.post("/api/v1/calendars/import/", {"file": SimpleUploadedFile("a.ics", content)},
                                     format="multipart", HTTP_IDEMPOTENCY_KEY="imp-1")

    assert upload(ics(0)).status_code == 201
    assert upload(ics(0)).status_code == 201  # the same file again: the first answer
    assert_error(upload(ics(0, 2)), 409, "conflict")  # another file under the same key
    assert BusyPeriod.objects.count() == 1


def test_too_long_a_key(candidate_client):
    r = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert_error(r, 400, "validation_error")


def test_a_refused_request_is_replayed_as_refused(candidate_client):
    bad = {"start": W["end"], "end": W["start"]}
    first = candidate_client.post("/api/v1/availability/", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    again = candidate_client.post("/api/v1/availability/", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert first.status_code == again.status_code == 400 and first.json() == again.json()


def test_old_answers_are_purged(candidate_client):
    from datetime import timedelta

    from django.utils import timezone

    from core.idempotency import idempotency_records_purge
    from core.models import IdempotencyRecord

    candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="old")
    candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(created=timezone.now() - timedelta(days=2))
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_a_claim_of_a_request_that_died_is_taken_over(candidate_client, settings, monkeypatch):
    """A key claimed by a request that never answered (a killed worker) is free again after the request timeout."""
    from datetime import timedelta

    from django.utils import timezone

    from core.models import IdempotencyRecord

    first = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    record = IdempotencyRecord.objects.get(key="crashed")
    AvailabilityWindow.objects.all().delete()  # the crashed request did nothing after all
    record.status_code, record.body = None, None
    record.save()

    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created=timezone.now() - timedelta(seconds=settings.REQUEST_TIMEOUT_SECONDS - 5))
    monkeypatch.setattr("core.idempotency.WAIT_SECONDS", 0.2)
    young = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    assert_error(young, 409, "conflict")  # still within the request timeout: in progress

    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created=timezone.now() - timedelta(seconds=settings.REQUEST_TIMEOUT_SECONDS + 5))
    taken = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    assert taken.status_code == 201 and first.status_code == 201
    assert AvailabilityWindow.objects.count() == 1
    record.refresh_from_db()
    assert record.status_code == 201 and record.body == taken.json()
    again = candidate_client.post("/api/v1/availability/", W, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    assert again["Idempotent-Replayed"] == "true" and again.json() == taken.json()
