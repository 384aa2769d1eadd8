"""What one person may keep is capped (core.quotas): windows and busy time entered by hand, weekly rules, and
imported calendars. Past the cap, a 400 that says so; deleting makes room again; imports replace, not add."""

from datetime import timedelta

import pytest

from integrations.models import CalendarSource
from slots.models import AvailabilityWindow
from tests import dates
from tests.conftest import assert_error
from tests.integrations.test_ical_import_api import ics, upload

pytestmark = pytest.mark.django_db


def window(day: int, hour: int = 9) -> dict:
    start = dates.at(dates.monday(2), hour) + timedelta(days=day)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def add_windows(client, body):
    return client.post("/api/v1/availability/", body, format="json")


def test_windows_entered_by_hand_are_capped_per_person(candidate_client, hr_client, candidate, settings):
    settings.MAX_WINDOWS_PER_USER = 5
    assert add_windows(candidate_client, [window(d) for d in range(3)]).status_code == 201
    error = assert_error(add_windows(candidate_client, [window(d) for d in range(3, 6)]), 400, "validation_error")
    assert error["message"] == ("A person may keep at most 5 availability windows entered by hand; this one has 3. "
                                "Delete some first.")
    assert AvailabilityWindow.objects.filter(user=candidate).count() == 3  # nothing of the refused request kept
    # HR, entering them for the candidate, meets the candidate's cap
    for_candidate = [{**window(d), "user": candidate.pk} for d in range(3, 6)]
    assert_error(add_windows(hr_client, for_candidate), 400, "validation_error")
    assert add_windows(candidate_client, [window(d) for d in range(3, 5)]).status_code == 201
    assert_error(add_windows(candidate_client, window(9)), 400, "validation_error")
    first = AvailabilityWindow.objects.filter(user=candidate).first()
    assert candidate_client.delete(f"/api/v1/availability/{first.pk}/").status_code == 204
    assert add_windows(candidate_client, window(9)).status_code == 201


def test_imported_windows_do_not_count_against_the_hand_entered_cap(interviewer_client, settings):
    settings.MAX_WINDOWS_PER_USER = 2
    assert upload(interviewer_client, ics(0, 2, 4, 6), kind="available").json()["periods"] == 4
    assert interviewer_client.post("/api/v1/availability/", [window(1), window(2)], format="json").status_code == 201


def test_busy_time_entered_by_hand_is_capped(candidate_client, settings):
    settings.MAX_BUSY_PERIODS_PER_USER = 2
    for day in (1, 2):
        assert candidate_client.post("/api/v1/busy/", window(day), format="json").status_code == 201
    error = assert_error(candidate_client.post("/api/v1/busy/", window(3), format="json"), 400, "validation_error")
    assert "at most 2 busy periods entered by hand; this one has 2" in error["message"]


def test_weekly_rules_are_capped(interviewer_client, settings):
    settings.MAX_WEEKLY_RULES_PER_USER = 2
    rule = {"weekdays": [0, 1], "start_time": "09:00", "end_time": "12:00"}
    for _ in range(2):
        assert interviewer_client.post("/api/v1/availability/weekly/", rule, format="json").status_code == 201
    error = assert_error(interviewer_client.post("/api/v1/availability/weekly/", rule, format="json"),
                         400, "validation_error")
    assert "at most 2 weekly rules" in error["message"]


def test_calendars_are_capped_and_importing_one_again_replaces_it(candidate_client, candidate, settings):
    settings.MAX_CALENDARS_PER_USER = 2
    assert upload(candidate_client, ics(0), name="work.ics").status_code == 201
    assert upload(candidate_client, ics(2), name="home.ics").status_code == 201
    error = assert_error(upload(candidate_client, ics(4), name="third.ics"), 400, "validation_error")
    assert "at most 2 imported calendars and subscriptions; this one has 2" in error["message"]
    assert upload(candidate_client, ics(6), name="work.ics").status_code == 201  # the same calendar again
    r = candidate_client.post("/api/v1/calendars/subscriptions/", {"url": "https://cal.example.com/new.ics",
                                                                    "kind": "busy"}, format="json")
    assert_error(r, 400, "validation_error")
    assert sorted(CalendarSource.objects.filter(user=candidate).values_list("name", flat=True)) == ["home.ics",
                                                                                                     "work.ics"]
