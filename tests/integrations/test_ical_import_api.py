from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.models import CalendarSource
from integrations.services import subscription_sync, subscriptions_refresh_due
from slots.models import AvailabilityWindow, BusyPeriod
from tests.conftest import assert_error
from tests.integrations.calendar_server import calendar_server

pytestmark = pytest.mark.django_db

TOMORROW = (datetime.now(dt_timezone.utc) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


def ics(*hours: int, day: datetime = TOMORROW) -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{h}\r\nDTSTART:{(day + timedelta(hours=h)):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{(day + timedelta(hours=h, minutes=30)):%Y%m%dT%H%M%SZ}\r\nEND:VEVENT\r\n"
        for h in hours
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}END:VCALENDAR\r\n".encode()


def upload(client, content: bytes, name="work.ics", **fields):
    return client.post("/api/v1/calendars/import/", {"file": SimpleUploadedFile(name, content), **fields},
                       format="multipart")


@pytest.fixture
def local_calendars(settings):
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def test_upload_busy_calendar(candidate_client, candidate):
    r = upload(candidate_client, ics(0, 2))
    assert r.status_code == 201, r.content
    assert r.json()["source"] == "work.ics" and r.json()["kind"] == "busy" and r.json()["periods"] == 2
    busy = candidate_client.get("/api/v1/busy/").json()
    assert [b["source"] for b in busy] == ["ical", "ical"]


def test_upload_available_calendar(interviewer_client, interviewer):
    r = upload(interviewer_client, ics(0), kind="available")
    assert r.status_code == 201 and r.json()["periods"] == 1
    assert AvailabilityWindow.objects.get(user=interviewer).source == "ical"


def test_reimport_replaces_only_its_own_periods(candidate_client, candidate):
    upload(candidate_client, ics(0, 2, 4), name="work.ics")
    upload(candidate_client, ics(6), name="home.ics")
    candidate_client.post("/api/v1/busy/", {"start": TOMORROW.isoformat(), "end": (TOMORROW + timedelta(hours=1)).isoformat()},
                          format="json")
    r = upload(candidate_client, ics(8), name="work.ics")
    assert r.json()["periods"] == 1
    starts = sorted(b.start.hour for b in BusyPeriod.objects.filter(user=candidate, source="ical"))
    assert starts == sorted([(TOMORROW + timedelta(hours=6)).hour, (TOMORROW + timedelta(hours=8)).hour])
    assert BusyPeriod.objects.filter(user=candidate, source="manual").count() == 1
    assert CalendarSource.objects.filter(user=candidate).count() == 2


@pytest.mark.parametrize("content", [b" ", b"garbage", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:x\r\nEND:VCALENDAR",
                                     b"\x00\xff" * 100])
def test_bad_calendars_are_400(candidate_client, content):
    assert "file" in assert_error(upload(candidate_client, content), 400, "validation_error")["fields"]


def test_oversized_upload_is_413(candidate_client, settings):
    settings.ICAL_MAX_BYTES = 1000
    assert_error(upload(candidate_client, ics(0) + b" " * 2000), 413, "payload_too_large")


def test_import_needs_exactly_one_of_file_or_url(candidate_client):
    assert_error(candidate_client.post("/api/v1/calendars/import/", {"kind": "busy"}, format="json"),
                 400, "validation_error")
    r = candidate_client.post("/api/v1/calendars/import/", {"kind": "sometimes", "url": "https://example.com/a.ics"},
                              format="json")
    assert "kind" in assert_error(r, 400, "validation_error")["fields"]


def test_hr_imports_for_a_user_and_others_cannot(hr_client, candidate_client, interviewer):
    r = upload(hr_client, ics(0), user=interviewer.pk)
    assert r.status_code == 201 and r.json()["user"] == interviewer.pk
    assert_error(upload(candidate_client, ics(0), user=interviewer.pk), 404, "not_found")


def test_import_by_url_from_an_allowed_host(candidate_client, local_calendars):
    with calendar_server({"/cal.ics": ("ics", ics(0, 1))}) as (base, hits):
        r = candidate_client.post("/api/v1/calendars/import/", {"url": f"{base}/cal.ics"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["periods"] == 2 and r.json()["source"] == f"{base}/cal.ics"
    assert hits[0][1]["Host"] == base.removeprefix("http://")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/cal.ics", "http://localhost/cal.ics", "http://10.1.2.3/cal.ics", "http://169.254.169.254/latest",
     "http://[::1]/cal.ics", "http://0.0.0.0/cal.ics", "http://[::ffff:127.0.0.1]/x.ics"],
)
def test_private_addresses_are_refused(candidate_client, url):
    r = candidate_client.post("/api/v1/calendars/import/", {"url": url}, format="json")
    assert "private network" in assert_error(r, 400, "validation_error")["fields"]["url"][0]


@pytest.mark.parametrize("url", ["ftp://example.com/cal.ics", "file:///etc/passwd", "gopher://x/"])
def test_only_http_urls(candidate_client, url):
    r = candidate_client.post("/api/v1/calendars/import/", {"url": url}, format="json")
    assert_error(r, 400, "validation_error")


def test_a_redirect_into_a_private_network_is_refused(candidate_client, local_calendars):
    routes = {"/to-metadata": ("redirect", "http://169.254.169.254/latest/meta-data"),
              "/to-loopback": ("redirect", "http://127.0.0.2:9/cal.ics")}
    with calendar_server(routes) as (base, hits):
        for path in routes:
            r = candidate_client.post("/api/v1/calendars/import/", {"url": base + path}, format="json")
            assert "private network" in assert_error(r, 400, "validation_error")["fields"]["url"][0]


def test_a_redirect_to_an_allowed_host_is_followed(candidate_client, local_calendars):
    with calendar_server({"/old": ("redirect", "/new.ics"), "/new.ics": ("ics", ics(0))}) as (base, hits):
        r = candidate_client.post("/api/v1/calendars/import/", {"url": f"{base}/old"}, format="json")
    assert r.status_code == 201 and [h[0] for h in hits] == ["/old", "/new.ics"]


def test_oversized_and_slow_downloads(candidate_client, local_calendars, settings):
    settings.ICAL_MAX_BYTES = 2000
    settings.ICAL_FETCH_TIMEOUT_SECONDS = 1
    routes = {"/big.ics": ("ics", ics(0) + b" " * 5000), "/slow.ics": ("slow", 3), "/gone.ics": ("status", 410)}
    with calendar_server(routes) as (base, hits):
        for path, words in [("/big.ics", "larger than"), ("/slow.ics", "could not be reached|took too long"),
                            ("/gone.ics", "answered 410")]:
            r = candidate_client.post("/api/v1/calendars/import/", {"url": base + path}, format="json")
            message = assert_error(r, 400, "validation_error")["fields"]["url"][0]
            assert any(w in message for w in words.split("|")), message


def test_subscription_lifecycle(candidate_client, outsider_client, candidate, local_calendars,
                                django_capture_on_commit_callbacks):
    routes = {"/feed.ics": ("ics", ics(0, 2), '"v1"')}
    with calendar_server(routes) as (base, hits):
        with django_capture_on_commit_callbacks(execute=True):
            r = candidate_client.post("/api/v1/calendars/subscriptions/", {"url": f"{base}/feed.ics", "kind": "busy"},
                                      format="json")
        assert r.status_code == 201
        sub_id = r.json()["id"]
        detail = candidate_client.get(f"/api/v1/calendars/subscriptions/{sub_id}/").json()
        assert detail["periods"] == 2 and detail["last_synced"] and detail["last_error"] == ""
        assert BusyPeriod.objects.filter(user=candidate).count() == 2
        # unchanged upstream: a conditional request, answered 304
        assert subscription_sync(source_id=sub_id) == "not modified"
        assert hits[-1][1].get("If-None-Match") == '"v1"'
        # changed upstream
        routes["/feed.ics"] = ("ics", ics(4), '"v2"')
        assert subscription_sync(source_id=sub_id) == "synced"
        assert BusyPeriod.objects.filter(user=candidate).count() == 1
        # broken upstream: the error is kept and shown, the last good periods stay
        routes["/feed.ics"] = ("status", 500)
        assert subscription_sync(source_id=sub_id) == "failed"
    detail = candidate_client.get(f"/api/v1/calendars/subscriptions/{sub_id}/").json()
    assert "500" in detail["last_error"] and BusyPeriod.objects.filter(user=candidate).count() == 1
    assert len(candidate_client.get("/api/v1/calendars/subscriptions/").json()) == 1
    assert_error(outsider_client.get(f"/api/v1/calendars/subscriptions/{sub_id}/"), 404, "not_found")
    assert_error(outsider_client.delete(f"/api/v1/calendars/subscriptions/{sub_id}/"), 404, "not_found")
    assert candidate_client.delete(f"/api/v1/calendars/subscriptions/{sub_id}/").status_code == 204
    assert BusyPeriod.objects.filter(user=candidate).count() == 0


def test_subscription_refused_for_bad_scheme(candidate_client):
    r = candidate_client.post("/api/v1/calendars/subscriptions/", {"url": "ftp://example.com/x.ics"}, format="json")
    assert_error(r, 400, "validation_error")


def test_refresh_queues_only_due_subscriptions(candidate, settings):
    due = CalendarSource.objects.create(user=candidate, name="http://127.0.0.1:9/x.ics", url="http://127.0.0.1:9/x.ics",
                                        is_subscription=True)
    CalendarSource.objects.create(user=candidate, name="http://b.example/x.ics", url="http://b.example/x.ics",
                                  is_subscription=True, last_synced=datetime.now(dt_timezone.utc))
    CalendarSource.objects.create(user=candidate, name="file.ics")
    settings.ICAL_URL_ALLOWED_NETWORKS = []
    assert subscriptions_refresh_due() == 1
    due.refresh_from_db()
    assert "private network" in due.last_error  # the error is recorded for the user, nothing raised
