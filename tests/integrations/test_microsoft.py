"""Microsoft 365, end to end: msal and our Graph calls over HTTPS against a local emulator."""

import time
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from integrations.google.crypto import decrypt
from integrations.microsoft import client as ms_client
from integrations.microsoft.services import microsoft_sync
from integrations.models import MicrosoftConnection, MicrosoftEvent
from scheduling.calendar_push import busy_block_sync
from slots.models import BusyPeriod
from tests.conftest import assert_error
from tests.integrations.microsoft_emulator import CLIENT_ID, CLIENT_SECRET, microsoft_emulator
from tests.scheduling.helpers import at, book, free, iso, slot_starts

pytestmark = pytest.mark.django_db


@pytest.fixture
def microsoft(settings, tmp_path, monkeypatch):
    with microsoft_emulator(tmp_path) as (base, state, ca_bundle):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))  # trust the emulator's own certificate
        settings.MICROSOFT_CLIENT_ID = CLIENT_ID
        settings.MICROSOFT_CLIENT_SECRET = CLIENT_SECRET
        settings.MICROSOFT_AUTHORITY = base
        settings.MICROSOFT_TENANT = "common"
        settings.MICROSOFT_GRAPH_ENDPOINT = f"{base}/v1.0"
        settings.MICROSOFT_API_RETRIES = 2
        yield state


def connect(client, state) -> dict:
    r = client.get("/api/v1/integrations/microsoft/authorize")
    assert r.status_code == 200, r.content
    code, oauth_state = state.approve(r.json()["authorization_url"])
    r = APIClient().get("/api/v1/integrations/microsoft/callback", {"code": code, "state": oauth_state})
    assert r.status_code == 200, r.content
    return r.json()


def item(status, start, end):
    return {"status": status, "start": start, "end": end}


def test_authorize_url_asks_for_calendars_and_offline_access_with_pkce(interviewer_client, microsoft, settings):
    url = interviewer_client.get("/api/v1/integrations/microsoft/authorize").json()["authorization_url"]
    assert url.startswith(f"{settings.MICROSOFT_AUTHORITY}/common/oauth2/v2.0/authorize?")
    for part in (f"client_id={CLIENT_ID}", "code_challenge=", "code_challenge_method=S256", "offline_access",
                 "Calendars.ReadWrite", "state="):
        assert part in url
    assert "Calendars.Read+" not in url and "User.Read" not in url


def test_connect_stores_tokens_encrypted_and_never_shows_them(interviewer_client, interviewer, microsoft):
    body = connect(interviewer_client, microsoft)
    assert body["connected"] is True and body["mailbox"] == "ivan@contoso.example"
    connection = MicrosoftConnection.objects.get(user=interviewer)
    refresh = decrypt(connection.refresh_token_encrypted)
    assert refresh in microsoft.refresh_tokens and refresh not in connection.refresh_token_encrypted
    shown = interviewer_client.get("/api/v1/integrations/microsoft")
    assert shown.status_code == 200
    assert refresh not in shown.content.decode() and decrypt(connection.access_token_encrypted) not in shown.content.decode()


def test_callback_refuses_bad_reused_and_denied(interviewer_client, candidate_client, microsoft, settings):
    url = interviewer_client.get("/api/v1/integrations/microsoft/authorize").json()["authorization_url"]
    code, state = microsoft.approve(url)
    anon = APIClient()
    assert_error(anon.get("/api/v1/integrations/microsoft/callback", {"code": code, "state": state + "x"}),
                 400, "validation_error")
    assert anon.get("/api/v1/integrations/microsoft/callback", {"code": code, "state": state}).status_code == 200
    again = anon.get("/api/v1/integrations/microsoft/callback", {"code": code, "state": state})
    assert "state" in assert_error(again, 400, "validation_error")["fields"]
    assert_error(anon.get("/api/v1/integrations/microsoft/callback", {"error": "access_denied", "state": state}),
                 400, "validation_error")
    assert_error(anon.get("/api/v1/integrations/microsoft/callback"), 400, "validation_error")
    # a code for another verifier (PKCE) is refused by the token endpoint
    url = interviewer_client.get("/api/v1/integrations/microsoft/authorize").json()["authorization_url"]
    code, state = microsoft.approve(url)
    microsoft.pending[code]["challenge"] = "not-the-challenge"
    assert "code" in assert_error(anon.get("/api/v1/integrations/microsoft/callback", {"code": code, "state": state}),
                                  400, "validation_error")["fields"]
    assert_error(candidate_client.get("/api/v1/integrations/microsoft/authorize"), 403, "permission_denied")
    settings.MICROSOFT_CLIENT_ID = ""
    assert_error(interviewer_client.get("/api/v1/integrations/microsoft/authorize"), 503, "unavailable")


def test_free_busy_counts_busy_tentative_and_oof_only(hr_client, interviewer_client, candidate, interviewer,
                                                      microsoft):
    free(candidate, 9, 15)
    free(interviewer, 9, 15)
    connect(interviewer_client, microsoft)
    microsoft.schedule = [item("busy", at(9), at(10)), item("tentative", at(10), at(11)), item("oof", at(13), at(14)),
                          item("free", at(11), at(12)), item("workingElsewhere", at(12), at(13))]
    r = interviewer_client.post("/api/v1/integrations/microsoft/sync")
    assert r.status_code == 200 and r.json()["last_error"] == "" and r.json()["last_synced"], r.content
    periods = sorted(BusyPeriod.objects.filter(user=interviewer, source="microsoft").values_list("start", "end"))
    assert periods == [(at(9), at(11)), (at(13), at(14))]
    assert slot_starts(hr_client, candidate, [interviewer]) == ["11:00", "12:00", "14:00"]


def test_sync_asks_in_windows_graph_accepts(interviewer_client, interviewer, microsoft, settings):
    settings.CALENDAR_SYNC_DAYS = 180
    connect(interviewer_client, microsoft)
    before = len([r for r in microsoft.requests if r[1].endswith("getSchedule")])
    assert microsoft_sync(user_id=interviewer.pk) == "synced"  # the emulator refuses spans over 62 days
    assert len([r for r in microsoft.requests if r[1].endswith("getSchedule")]) - before == 3


def test_an_expired_access_token_is_refreshed_through_msal(interviewer_client, interviewer, microsoft):
    connect(interviewer_client, microsoft)
    old = decrypt(MicrosoftConnection.objects.get(user=interviewer).access_token_encrypted)
    microsoft.expire_access_tokens()  # Graph now answers 401 although our stored expiry says it is fine
    microsoft.schedule = [item("busy", at(9), at(10))]
    assert microsoft_sync(user_id=interviewer.pk) == "synced"
    connection = MicrosoftConnection.objects.get(user=interviewer)
    assert decrypt(connection.access_token_encrypted) not in ("", old)
    assert decrypt(connection.refresh_token_encrypted) in microsoft.refresh_tokens  # the rotated one is kept
    assert BusyPeriod.objects.filter(user=interviewer, source="microsoft").count() == 1


def test_a_revoked_grant_marks_the_connection_broken_and_keeps_the_last_busy_time(interviewer_client, interviewer,
                                                                                   microsoft):
    connect(interviewer_client, microsoft)
    microsoft.schedule = [item("busy", at(9), at(10))]
    assert microsoft_sync(user_id=interviewer.pk) == "synced"
    microsoft.revoke_all()
    body = interviewer_client.post("/api/v1/integrations/microsoft/sync").json()
    assert body["status"] == "broken" and body["connected"] is False and "connect Outlook again" in body["last_error"]
    assert BusyPeriod.objects.filter(user=interviewer, source="microsoft").count() == 1


def test_429_waits_for_retry_after_in_the_worker_and_5xx_is_reported(interviewer_client, interviewer, microsoft,
                                                                       settings):
    settings.CALENDAR_SYNC_DAYS = 30
    connect(interviewer_client, microsoft)
    microsoft.schedule = [item("busy", at(9), at(10))]
    microsoft.fail_next = [(429, 1)]
    started = time.monotonic()
    assert microsoft_sync(user_id=interviewer.pk) == "synced"
    assert time.monotonic() - started >= 1.0  # it waited as Graph asked
    microsoft.fail_next = [(503, 0)] * 5
    assert microsoft_sync(user_id=interviewer.pk) == "failed"
    connection = MicrosoftConnection.objects.get(user=interviewer)
    assert "503" in connection.last_error and connection.status == "active"
    assert BusyPeriod.objects.filter(user=interviewer, source="microsoft").count() == 1


def test_a_booking_does_not_wait_for_retry_after(hr_client, interviewer_client, candidate, interviewer, microsoft,
                                                 monkeypatch):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    connect(interviewer_client, microsoft)
    queued = []
    monkeypatch.setattr("integrations.microsoft.services.async_task", lambda *args: queued.append(args))
    microsoft.fail_next = [(429, 30)]
    started = time.monotonic()
    assert book(hr_client, candidate, [interviewer], 10).status_code == 201
    assert time.monotonic() - started < 10  # not the 30 s Graph asked for: that is the worker's
    assert queued == [("integrations.tasks.sync_calendar", "microsoft", interviewer.pk)]


def test_busy_blocks_follow_the_interview(hr_client, interviewer_client, candidate, interviewer, microsoft,
                                          django_capture_on_commit_callbacks):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    connect(interviewer_client, microsoft)
    with django_capture_on_commit_callbacks(execute=True):
        interview_id = book(hr_client, candidate, [interviewer], 10, title="Backend").json()["id"]
    [event] = microsoft.events.values()
    assert event["showAs"] == "busy" and event["sensitivity"] == "private" and "Backend" in event["subject"]
    assert event["start"] == {"dateTime": at(10).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}
    assert event["singleValueExtendedProperties"][0]["value"] == str(interview_id)
    assert event["transactionId"] == MicrosoftEvent.objects.get(user=interviewer).key

    # a retried insert (the stored id lost) does not make a second event: transactionId
    MicrosoftEvent.objects.all().delete()
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk, provider="microsoft") == "inserted"
    assert len(microsoft.events) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert hr_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json").status_code == 200
    [event] = microsoft.events.values()
    assert event["start"]["dateTime"] == at(11).strftime("%Y-%m-%dT%H:%M:%S") and len(microsoft.events) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert hr_client.post(f"/api/v1/interviews/{interview_id}/cancel").status_code == 200
    assert microsoft.events == {} and not MicrosoftEvent.objects.exists()
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk, provider="microsoft") == "already gone"


def test_disconnect_forgets_everything(interviewer_client, interviewer, microsoft):
    connect(interviewer_client, microsoft)
    microsoft.schedule = [item("busy", at(9), at(10))]
    microsoft_sync(user_id=interviewer.pk)
    assert interviewer_client.delete("/api/v1/integrations/microsoft").status_code == 204
    assert not MicrosoftConnection.objects.exists()
    assert not BusyPeriod.objects.filter(user=interviewer, source="microsoft").exists()
    assert_error(interviewer_client.get("/api/v1/integrations/microsoft"), 404, "not_found")
    assert_error(interviewer_client.post("/api/v1/integrations/microsoft/sync"), 404, "not_found")


def test_graph_times_are_read_as_utc():
    parsed = ms_client._parse_graph_time({"dateTime": "2030-01-02T03:04:05.0000000", "timeZone": "UTC"})
    assert parsed.isoformat() == "2030-01-02T03:04:05+00:00"
    with pytest.raises(ms_client.MicrosoftError):
        ms_client._parse_graph_time({"dateTime": "2030-01-02T03:04:05", "timeZone": "Pacific Standard Time"})
    assert ms_client.MAX_SCHEDULE_SPAN == timedelta(days=62)


def test_the_admin_never_shows_a_token(client, hr, interviewer):
    from integrations.google.crypto import encrypt

    connection = MicrosoftConnection.objects.create(user=interviewer, mailbox="ivan@contoso.example",
                                                    refresh_token_encrypted=encrypt("refresh-secret"),
                                                    access_token_encrypted=encrypt("access-secret"))
    client.force_login(hr)
    for page in ("/admin/integrations/microsoftconnection/",
                 f"/admin/integrations/microsoftconnection/{connection.pk}/change/"):
        r = client.get(page)
        assert r.status_code == 200
        for secret in (b"refresh-secret", b"access-secret", connection.refresh_token_encrypted.encode()):
            assert secret not in r.content
