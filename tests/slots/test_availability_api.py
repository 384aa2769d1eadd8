from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from slots.models import AvailabilityWindow, WeeklyRule
from tests import dates
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

MONDAY = dates.monday(2)


def day(days: int, rest: str) -> str:
    """An ISO timestamp `days` after MONDAY: `rest` is the time and offset, e.g. "10:00:00Z"."""
    return f"{MONDAY + timedelta(days=days)}T{rest}"


W = {"start": day(0, "10:00:00Z"), "end": day(0, "14:00:00Z")}


def test_create_one_window(candidate_client, candidate):
    r = candidate_client.post("/api/v1/availability/", W, format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["user"] == candidate.pk and body["source"] == "manual"
    assert body["start"] == day(0, "10:00:00+00:00") and body["end"] == day(0, "14:00:00+00:00")


def test_create_many_windows(candidate_client):
    windows = [{"start": day(d, "09:00:00+05:30"), "end": day(d, "12:00:00+05:30")} for d in (0, 1, 2)]
    r = candidate_client.post("/api/v1/availability/", windows, format="json")
    assert r.status_code == 201 and len(r.json()) == 3
    assert AvailabilityWindow.objects.count() == 3


def test_naive_input_is_the_users_local_time_and_output_carries_offsets(candidate, candidate_client):
    candidate.timezone = "Asia/Kolkata"
    candidate.save()
    r = candidate_client.post("/api/v1/availability/", {"start": day(0, "10:00:00"), "end": day(0, "14:00:00")},
                              format="json")
    assert r.status_code == 201
    assert r.json()["start"] == day(0, "10:00:00+05:30")
    window = AvailabilityWindow.objects.get()
    assert window.start.isoformat() == day(0, "04:30:00+00:00")
    listed = candidate_client.get("/api/v1/availability/?tz=America/New_York").json()
    assert listed[0]["start"] == window.start.astimezone(ZoneInfo("America/New_York")).isoformat()
    assert listed[0]["start"].endswith(("T00:30:00-04:00", "T23:30:00-05:00"))  # EDT or EST


def test_naive_time_in_a_dst_gap_is_refused(candidate, candidate_client):
    candidate.timezone = "America/New_York"
    candidate.save()
    spring = dates.next_dst_change("America/New_York", forward=True)  # 02:00 EST -> 03:00 EDT: 02:30 never happens
    r = candidate_client.post("/api/v1/availability/", {"start": f"{spring}T02:30:00", "end": f"{spring}T05:00:00"},
                              format="json")
    assert "start" in assert_error(r, 400, "validation_error")["fields"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": day(0, "14:00:00Z"), "end": day(0, "10:00:00Z")}, "end"),
        ({"start": day(0, "10:00:00Z"), "end": day(0, "10:00:00Z")}, "end"),
        ({"start": "yesterday", "end": day(0, "10:00:00Z")}, "start"),
        ({"start": f"{MONDAY.year}-02-30T10:00:00Z", "end": day(0, "10:00:00Z")}, "start"),
        ({"start": "9999-12-31T23:00:00Z", "end": "9999-12-31T23:59:00Z"}, "start"),
        ({"start": day(0, "10:00:00Z"), "end": day(61, "10:00:00Z")}, "end"),  # longer than 31 days
        ({"start": 12, "end": day(0, "10:00:00Z")}, "start"),
        ({"end": day(0, "10:00:00Z")}, "start"),
    ],
)
def test_bad_windows(candidate_client, body, field):
    error = assert_error(candidate_client.post("/api/v1/availability/", body, format="json"), 400, "validation_error")
    assert field in error["fields"]


def test_bad_window_in_a_list_names_its_index(candidate_client):
    r = candidate_client.post("/api/v1/availability/", [W, {"start": "x", "end": "y"}], format="json")
    error = assert_error(r, 400, "validation_error")
    assert "1.start" in error["fields"]
    assert AvailabilityWindow.objects.count() == 0  # nothing half-done


def test_too_many_and_empty_lists(candidate_client):
    assert_error(candidate_client.post("/api/v1/availability/", [W] * 501, format="json"), 400, "validation_error")
    assert_error(candidate_client.post("/api/v1/availability/", [], format="json"), 400, "validation_error")


def test_huge_body_is_413(candidate_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = candidate_client.post("/api/v1/availability/", [W] * 100, format="json")
    assert_error(r, 413, "payload_too_large")


def test_only_hr_may_name_another_user(candidate_client, hr_client, interviewer, outsider):
    assert_error(candidate_client.post("/api/v1/availability/", {**W, "user": outsider.pk}, format="json"),
                 404, "not_found")
    r = hr_client.post("/api/v1/availability/", {**W, "user": interviewer.pk}, format="json")
    assert r.status_code == 201 and r.json()["user"] == interviewer.pk
    assert "user" in assert_error(hr_client.post("/api/v1/availability/", W, format="json"),
                                  400, "validation_error")["fields"]
    assert_error(hr_client.post("/api/v1/availability/", {**W, "user": 999999}, format="json"), 404, "not_found")


def test_list_own_windows_only_and_filter_by_range(candidate_client, outsider_client, hr_client, candidate):
    candidate_client.post("/api/v1/availability/", [W, {"start": day(29, "10:00:00Z"), "end": day(29, "11:00:00Z")}],
                          format="json")
    outsider_client.post("/api/v1/availability/", W, format="json")
    assert len(candidate_client.get("/api/v1/availability/").json()) == 2
    assert len(candidate_client.get(f"/api/v1/availability/?start={day(7, '00:00:00Z')}").json()) == 1
    assert len(candidate_client.get(f"/api/v1/availability/?end={day(0, '10:00:00Z')}").json()) == 0  # half-open
    assert len(hr_client.get(f"/api/v1/availability/?user={candidate.pk}").json()) == 2
    assert len(hr_client.get("/api/v1/availability/").json()) == 3
    assert_error(candidate_client.get("/api/v1/availability/?start=nonsense"), 400, "validation_error")
    assert_error(candidate_client.get("/api/v1/availability/?tz=Not/AZone"), 400, "validation_error")


def test_detail_patch_delete_and_other_users_get_404(candidate_client, outsider_client, hr_client):
    window_id = candidate_client.post("/api/v1/availability/", W, format="json").json()["id"]
    url = f"/api/v1/availability/{window_id}/"
    assert candidate_client.get(url).status_code == 200
    assert_error(outsider_client.get(url), 404, "not_found")
    assert_error(outsider_client.patch(url, {"end": day(0, "15:00:00Z")}, format="json"), 404, "not_found")
    assert_error(outsider_client.delete(url), 404, "not_found")
    r = candidate_client.patch(url, {"end": day(0, "15:00:00Z")}, format="json")
    assert r.status_code == 200 and r.json()["end"] == day(0, "15:00:00+00:00")
    assert_error(candidate_client.patch(url, {"end": day(0, "09:00:00Z")}, format="json"), 400, "validation_error")
    assert hr_client.get(url).status_code == 200
    assert candidate_client.delete(url).status_code == 204
    assert_error(candidate_client.get(url), 404, "not_found")


def test_weekly_rules(candidate_client, outsider_client, candidate):
    candidate.timezone = "Europe/Paris"
    candidate.save()
    r = candidate_client.post("/api/v1/availability/weekly/",
                              {"weekdays": [0, 2], "start_time": "09:00", "end_time": "17:00"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["timezone"] == "Europe/Paris" and body["start_time"] == "09:00" and body["weekdays"] == [0, 2]
    url = f"/api/v1/availability/weekly/{body['id']}/"
    assert candidate_client.get(url).json()["id"] == body["id"]
    assert_error(outsider_client.get(url), 404, "not_found")
    assert_error(outsider_client.delete(url), 404, "not_found")
    assert len(candidate_client.get("/api/v1/availability/weekly/").json()) == 1
    assert candidate_client.delete(url).status_code == 204
    assert WeeklyRule.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"weekdays": [7], "start_time": "09:00", "end_time": "17:00"}, "weekdays"),
        ({"weekdays": [], "start_time": "09:00", "end_time": "17:00"}, "weekdays"),
        ({"weekdays": [1], "start_time": "9am", "end_time": "17:00"}, "start_time"),
        ({"weekdays": [1], "start_time": "25:00", "end_time": "17:00"}, "start_time"),
        ({"weekdays": [1], "start_time": "09:00", "end_time": "09:00"}, "end_time"),
        ({"weekdays": [1], "start_time": "09:00", "end_time": "17:00", "timezone": "Moon/Base"}, "timezone"),
        ({"weekdays": [1], "start_time": "09:00", "end_time": "17:00", "valid_from": str(MONDAY + timedelta(days=7)),
          "valid_until": str(MONDAY)}, "valid_until"),
    ],
)
def test_bad_weekly_rules(candidate_client, body, field):
    r = candidate_client.post("/api/v1/availability/weekly/", body, format="json")
    assert field in assert_error(r, 400, "validation_error")["fields"]


def test_manual_busy_time(candidate_client, outsider_client):
    r = candidate_client.post("/api/v1/busy/", W, format="json")
    assert r.status_code == 201 and r.json()["source"] == "manual"
    busy = candidate_client.get(f"/api/v1/busy/?start={day(-2, '00:00:00Z')}&end={day(29, '00:00:00Z')}").json()
    assert [b["source"] for b in busy] == ["manual"]
    assert outsider_client.get("/api/v1/busy/").json() == []
    url = f"/api/v1/busy/{r.json()['id']}/"
    assert_error(outsider_client.delete(url), 404, "not_found")
    assert candidate_client.delete(url).status_code == 204


def test_availability_needs_auth(anon_client):
    assert_error(anon_client.get("/api/v1/availability/"), 401, "not_authenticated")
    assert_error(anon_client.post("/api/v1/availability/", W, format="json"), 401, "not_authenticated")
