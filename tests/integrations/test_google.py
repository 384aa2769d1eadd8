"""Google Calendar, end to end: the real client libraries over HTTP against a local emulator."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from rest_framework.test import APIClient

from integrations.google.crypto import decrypt
from integrations.google.services import busy_block_id, google_sync
from scheduling.calendar_push import busy_block_sync
from integrations.models import GoogleConnection
from scheduling.models import Interview
from slots.models import BusyPeriod
from tests.conftest import assert_error
from tests.integrations.google_emulator import google_emulator
from tests.scheduling.helpers import at, book, free, iso, slot_starts

pytestmark = pytest.mark.django_db


def rfc(value: datetime) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def google(settings):
    with google_emulator() as (base, state):
        settings.GOOGLE_CLIENT_ID = "client-id.apps.googleusercontent.com"
        settings.GOOGLE_CLIENT_SECRET = "client-secret"
        settings.GOOGLE_API_ENDPOINT = base
        settings.GOOGLE_TOKEN_URI = f"{base}/token"
        settings.GOOGLE_AUTH_URI = f"{base}/auth"
        settings.GOOGLE_REVOKE_URI = f"{base}/revoke"
        yield state


def connect(client, state) -> dict:
    url = client.get("/api/v1/integrations/google/authorize").json()["authorization_url"]
    code, oauth_state = state.approve(url)
    r = APIClient().get("/api/v1/integrations/google/callback", {"code": code, "state": oauth_state})
    assert r.status_code == 200, r.content
    return r.json()


def test_authorize_url(interviewer_client, google, settings):
    url = interviewer_client.get("/api/v1/integrations/google/authorize").json()["authorization_url"]
    assert url.startswith(settings.GOOGLE_AUTH_URI + "?")
    for part in ("client_id=client-id.apps.googleusercontent.com", "access_type=offline", "code_challenge=",
                 "calendar.freebusy", "calendar.events", "state="):
        assert part in url


def test_connect_stores_the_grant_encrypted_and_syncs(interviewer_client, interviewer, google,
                                                      django_capture_on_commit_callbacks):
    google.busy["primary"] = [(rfc(at(10)), rfc(at(11)))]
    with django_capture_on_commit_callbacks(execute=True):
        body = connect(interviewer_client, google)
    assert body["connected"] is True and body["calendars"] == ["primary"]
    connection = GoogleConnection.objects.get(user=interviewer)
    refresh = decrypt(connection.refresh_token_encrypted)
    assert refresh in google.refresh_tokens and refresh not in connection.refresh_token_encrypted
    periods = list(BusyPeriod.objects.filter(user=interviewer, source="google").values_list("start", "end"))
    assert periods == [(at(10), at(11))]
    shown = interviewer_client.get("/api/v1/integrations/google").json()
    assert shown["last_synced"] and shown["last_error"] == ""


def test_callback_refuses_bad_state_reused_state_and_denied_access(interviewer_client, google):
    url = interviewer_client.get("/api/v1/integrations/google/authorize").json()["authorization_url"]
    code, state = google.approve(url)
    assert_error(APIClient().get("/api/v1/integrations/google/callback", {"code": code, "state": state + "x"}),
                 400, "validation_error")
    assert APIClient().get("/api/v1/integrations/google/callback", {"code": code, "state": state}).status_code == 200
    again = APIClient().get("/api/v1/integrations/google/callback", {"code": code, "state": state})
    assert "state" in assert_error(again, 400, "validation_error")["fields"]
    denied = APIClient().get("/api/v1/integrations/google/callback", {"error": "access_denied", "state": state})
    assert_error(denied, 400, "validation_error")
    assert_error(APIClient().get("/api/v1/integrations/google/callback"), 400, "validation_error")


def test_only_interviewers_connect_and_off_when_not_configured(candidate_client, interviewer_client, google, settings):
    assert_error(candidate_client.get("/api/v1/integrations/google/authorize"), 403, "permission_denied")
    assert_error(interviewer_client.get("/api/v1/integrations/google"), 404, "not_found")
    settings.GOOGLE_CLIENT_ID = ""
    assert_error(interviewer_client.get("/api/v1/integrations/google/authorize"), 503, "unavailable")


def test_sync_changes_the_slots(hr_client, interviewer_client, candidate, interviewer, google):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    connect(interviewer_client, google)
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "10:00", "11:00", "12:00"]
    google.busy["primary"] = [(rfc(at(10, 30)), rfc(at(11, 15)))]
    r = interviewer_client.post("/api/v1/integrations/google/sync")
    assert r.status_code == 200 and r.json()["last_error"] == ""
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "12:00"]
    google.busy["primary"] = []
    interviewer_client.post("/api/v1/integrations/google/sync")
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "10:00", "11:00", "12:00"]


def test_sync_splits_long_ranges_into_90_day_queries(interviewer_client, interviewer, google, settings):
    settings.GOOGLE_SYNC_DAYS = 200
    connect(interviewer_client, google)
    before = len([r for r in google.requests if r[1] == "/calendar/v3/freeBusy"])
    google_sync(user_id=interviewer.pk)
    assert len([r for r in google.requests if r[1] == "/calendar/v3/freeBusy"]) - before == 3


def test_expired_access_token_is_refreshed(interviewer_client, interviewer, google):
    connect(interviewer_client, google)
    connection = GoogleConnection.objects.get(user=interviewer)
    old_access = decrypt(connection.access_token_encrypted)
    GoogleConnection.objects.filter(pk=connection.pk).update(
        access_token_expiry=datetime.now(dt_timezone.utc) - timedelta(minutes=1))
    assert google_sync(user_id=interviewer.pk) == "synced"
    connection.refresh_from_db()
    assert decrypt(connection.access_token_encrypted) not in ("", old_access)
    assert connection.access_token_expiry > datetime.now(dt_timezone.utc)


def test_revoked_grant_marks_the_connection_broken(interviewer_client, interviewer, google):
    connect(interviewer_client, google)
    google.revoke_all()
    r = interviewer_client.post("/api/v1/integrations/google/sync")
    assert r.json()["status"] == "broken" and "connect Google Calendar again" in r.json()["last_error"]
    assert r.json()["connected"] is False


def test_429_is_retried(interviewer_client, interviewer, google):
    connect(interviewer_client, google)
    google.busy["primary"] = [(rfc(at(10)), rfc(at(11)))]
    google.fail_next = [429]
    assert google_sync(user_id=interviewer.pk) == "synced"
    assert BusyPeriod.objects.filter(user=interviewer, source="google").count() == 1


def test_persistent_5xx_is_reported_and_keeps_the_last_good_data(interviewer_client, interviewer, google, settings):
    settings.GOOGLE_API_RETRIES = 1
    connect(interviewer_client, google)
    google.busy["primary"] = [(rfc(at(10)), rfc(at(11)))]
    google_sync(user_id=interviewer.pk)
    google.fail_next = [503] * 10
    assert google_sync(user_id=interviewer.pk) == "failed"
    connection = GoogleConnection.objects.get(user=interviewer)
    assert "503" in connection.last_error and connection.status == "active"
    assert BusyPeriod.objects.filter(user=interviewer, source="google").count() == 1


def test_per_calendar_errors_are_reported(interviewer_client, interviewer, google):
    connect(interviewer_client, google)
    r = interviewer_client.patch("/api/v1/integrations/google", {"calendars": ["primary", "team@group.calendar"]},
                                 format="json")
    assert r.status_code == 200
    google.busy["primary"] = [(rfc(at(10)), rfc(at(11)))]
    google.calendar_errors["team@group.calendar"] = "notFound"
    assert google_sync(user_id=interviewer.pk) == "synced with errors"
    shown = interviewer_client.get("/api/v1/integrations/google").json()
    assert shown["calendar_errors"] == {"team@group.calendar": "notFound"}
    assert "team@group.calendar (notFound)" in shown["last_error"]
    assert BusyPeriod.objects.filter(user=interviewer, source="google", external_calendar="primary").count() == 1


def test_busy_blocks_follow_the_interview(hr_client, interviewer_client, candidate, interviewer, google,
                                          django_capture_on_commit_callbacks):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    connect(interviewer_client, google)
    with django_capture_on_commit_callbacks(execute=True):
        interview_id = book(hr_client, candidate, [interviewer], 10, title="Backend").json()["id"]
    interview = Interview.objects.get(pk=interview_id)
    key = ("primary", busy_block_id(interview, interviewer.pk))
    event = google.events[key]
    assert event["start"]["dateTime"] == interview.start.isoformat() and event["transparency"] == "opaque"
    assert event["visibility"] == "private"
    assert event["extendedProperties"]["private"]["interview_id"] == str(interview_id)

    with django_capture_on_commit_callbacks(execute=True):
        hr_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json")
    assert google.events[key]["start"]["dateTime"] == at(11).isoformat() and len(google.events) == 1

    # our own block comes back in free/busy, but does not hold the time after the interview is gone
    google.busy["primary"] = [(rfc(at(11)), rfc(at(12)))]
    google_sync(user_id=interviewer.pk)
    assert not BusyPeriod.objects.filter(user=interviewer, source="google").exists()

    with django_capture_on_commit_callbacks(execute=True):
        hr_client.post(f"/api/v1/interviews/{interview_id}/cancel")
    assert google.events == {}
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk) == "already gone"


def test_a_retried_insert_does_not_duplicate(hr_client, interviewer_client, candidate, interviewer, google):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    connect(interviewer_client, google)
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk) == "inserted"
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk) == "updated"
    assert len(google.events) == 1


def test_a_google_outage_never_blocks_or_loses_a_booking(hr_client, interviewer_client, candidate, interviewer,
                                                         google, settings, django_capture_on_commit_callbacks):
    from integrations.google.client import GoogleError

    settings.GOOGLE_API_RETRIES = 1
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    connect(interviewer_client, google)
    GoogleConnection.objects.filter(user=interviewer).update(last_synced=None)  # forces a sync before booking
    google.fail_next = [503] * 30
    with django_capture_on_commit_callbacks(execute=True):
        r = book(hr_client, candidate, [interviewer], 10)
    assert r.status_code == 201
    assert google.events == {}  # the push failed, and will be tried again
    google.fail_next = []
    assert busy_block_sync(interview_id=r.json()["id"], user_id=interviewer.pk) == "inserted"
    with pytest.raises(GoogleError):
        google.fail_next = [503] * 10
        busy_block_sync(interview_id=r.json()["id"], user_id=interviewer.pk)


def test_disconnect_revokes_and_forgets(interviewer_client, interviewer, google):
    connect(interviewer_client, google)
    google.busy["primary"] = [(rfc(at(10)), rfc(at(11)))]
    google_sync(user_id=interviewer.pk)
    refresh = decrypt(GoogleConnection.objects.get(user=interviewer).refresh_token_encrypted)
    assert interviewer_client.delete("/api/v1/integrations/google").status_code == 204
    assert google.revoked == [refresh]
    assert not GoogleConnection.objects.exists()
    assert not BusyPeriod.objects.filter(user=interviewer, source="google").exists()
