from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest

from slots.models import AvailabilityWindow, BusyPeriod, WeeklyRule
from tests.conftest import assert_error
from tests import dates
from tests.factories import CandidateFactory, InterviewerFactory

pytestmark = pytest.mark.django_db

MONDAY = dates.monday(2)  # two weeks from today, whatever today is
RANGE = f"start={dates.z(dates.at(MONDAY - timedelta(days=2)))}&end={dates.z(dates.at(MONDAY + timedelta(days=28)))}"


def window(user, start, end):
    return AvailabilityWindow.objects.create(user=user, start=start, end=end)


def utc(days: int, hour: int = 0, minute: int = 0) -> datetime:
    """`days` after MONDAY, at hour:minute UTC."""
    return dates.at(MONDAY + timedelta(days=days), hour, minute)


def iso(days: int, hour: int, minute: int = 0, tz="UTC") -> str:
    """How the API writes wall time hour:minute in `tz` on the day `days` after MONDAY."""
    return dates.at(MONDAY + timedelta(days=days), hour, minute, tz).isoformat()


def slots(client, query):
    r = client.get(f"/api/v1/slots/?{query}")
    assert r.status_code == 200, r.content
    return r.json()


def test_brief_example_answers_one_slot(hr_client, candidate, interviewer):
    window(interviewer, utc(-1, 9), utc(-1, 12))
    window(candidate, utc(-1, 11), utc(-1, 14))
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&{RANGE}")
    assert body["slots"] == [{"start": iso(-1, 11), "end": iso(-1, 12)}]
    assert body["candidate"] == candidate.pk and body["interviewers"] == [interviewer.pk]
    assert body["duration"] == 60 and body["step"] == 60 and body["timezone"] == "UTC"


def test_answer_in_the_zone_asked_and_grid_laid_there(hr_client, candidate, interviewer):
    window(interviewer, utc(0, 3), utc(0, 8))
    window(candidate, utc(0, 3), utc(0, 8))
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&{RANGE}&tz=Asia/Kolkata")
    assert body["timezone"] == "Asia/Kolkata"
    assert [s["start"] for s in body["slots"]] == [
        iso(0, 9, tz="Asia/Kolkata"), iso(0, 10, tz="Asia/Kolkata"), iso(0, 11, tz="Asia/Kolkata"),
        iso(0, 12, tz="Asia/Kolkata"),
    ]


def test_default_zone_is_the_callers(hr, hr_client, candidate, interviewer):
    hr.timezone = "America/New_York"
    hr.save()
    window(interviewer, utc(0, 13), utc(0, 16))
    window(candidate, utc(0, 13), utc(0, 16))
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&{RANGE}")
    assert body["timezone"] == "America/New_York"
    # 13:00 UTC is 09:00 EDT or 08:00 EST: the first slot starts at the first full local hour
    first = utc(0, 13).astimezone(ZoneInfo("America/New_York"))
    assert body["slots"][0]["start"] == first.isoformat()
    assert body["slots"][0]["start"].endswith(("-04:00", "-05:00"))


def test_panel_duration_step_and_busy_time(hr_client, candidate, interviewer):
    second = InterviewerFactory()
    for person in (candidate, interviewer, second):
        window(person, utc(0, 9), utc(0, 12))
    BusyPeriod.objects.create(user=second, start=utc(0, 9), end=utc(0, 10), source="manual")
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&interviewer={second.pk}"
                            f"&duration=90&step=30&{RANGE}")
    assert [s["start"][11:16] for s in body["slots"]] == ["10:00", "10:30"]
    assert body["slots"][0]["end"] == iso(0, 11, 30)
    assert body["interviewers"] == [interviewer.pk, second.pk]


def test_weekly_rules_count_as_free_time(hr_client, candidate, interviewer):
    WeeklyRule.objects.create(user=interviewer, weekdays=[0], start_time="09:00", end_time="11:00", timezone="UTC")
    window(candidate, utc(0, 10), utc(0, 17))  # MONDAY
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&{RANGE}")
    assert [s["start"] for s in body["slots"]] == [iso(0, 10)]


def test_no_slot_is_an_empty_list(hr_client, candidate, interviewer):
    assert slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&{RANGE}")["slots"] == []


def test_slots_never_start_in_the_past(hr_client, candidate, interviewer):
    now = datetime.now(dt_timezone.utc).replace(minute=0, second=0, microsecond=0)
    for person in (candidate, interviewer):
        window(person, now - timedelta(hours=5), now + timedelta(hours=3))
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}")
    starts = [datetime.fromisoformat(s["start"]) for s in body["slots"]]
    assert starts and all(s >= datetime.now(dt_timezone.utc) - timedelta(seconds=5) for s in starts)


def test_default_range_is_sixty_days(hr_client, candidate, interviewer):
    now = datetime.now(dt_timezone.utc)
    for person in (candidate, interviewer):
        window(person, now + timedelta(days=59), now + timedelta(days=59, hours=3))
        window(person, now + timedelta(days=61), now + timedelta(days=61, hours=3))
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}")
    assert body["slots"] and all(datetime.fromisoformat(s["end"]) <= now + timedelta(days=60, minutes=1)
                                 for s in body["slots"])


@pytest.mark.parametrize(
    "extra, field",
    [
        ("duration=10", "duration"),
        ("duration=481", "duration"),
        ("duration=abc", "duration"),
        ("step=4", "step"),
        ("step=1441", "step"),
        ("tz=Nowhere/Zone", "tz"),
        (f"start={dates.z(utc(7))}&end={dates.z(utc(-2))}", "end"),  # end before start
        (f"start={dates.z(utc(0))}&end={dates.z(utc(500))}", "end"),  # too long a range
        ("start=tomorrow", "start"),
    ],
)
def test_bad_query(hr_client, candidate, interviewer, extra, field):
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&{extra}")
    assert field in assert_error(r, 400, "validation_error")["fields"]


def test_ids_roles_and_missing_users(hr_client, candidate, interviewer):
    assert_error(hr_client.get(f"/api/v1/slots/?candidate=999999&interviewer={interviewer.pk}"), 404, "not_found")
    assert_error(hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer=999999"), 404, "not_found")
    r = hr_client.get(f"/api/v1/slots/?candidate={interviewer.pk}&interviewer={interviewer.pk}")
    assert "candidate" in assert_error(r, 400, "validation_error")["fields"]
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={candidate.pk}")
    assert "interviewers" in assert_error(r, 400, "validation_error")["fields"]
    assert_error(hr_client.get(f"/api/v1/slots/?candidate=abc&interviewer={interviewer.pk}"), 400, "validation_error")
    assert_error(hr_client.get(f"/api/v1/slots/?interviewer={interviewer.pk}"), 400, "validation_error")
    assert_error(hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}"), 400, "validation_error")


def test_slots_are_hr_only(candidate_client, interviewer_client, anon_client, candidate, interviewer):
    query = f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}"
    assert_error(candidate_client.get(query), 403, "permission_denied")
    assert_error(interviewer_client.get(query), 403, "permission_denied")
    assert_error(anon_client.get(query), 401, "not_authenticated")


def test_query_count_does_not_grow_with_rows(hr_client, django_assert_max_num_queries):
    candidate = CandidateFactory()
    panel = [InterviewerFactory() for _ in range(3)]
    for person in (candidate, *panel):
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(user=person, start=utc(-2) + timedelta(hours=6 * k),
                               end=utc(-2) + timedelta(hours=6 * k + 4)) for k in range(100))
        BusyPeriod.objects.bulk_create(
            BusyPeriod(user=person, start=utc(-2, 1) + timedelta(hours=12 * k),
                       end=utc(-2, 2) + timedelta(hours=12 * k), source="ical") for k in range(50))
        WeeklyRule.objects.create(user=person, weekdays=[0, 1, 2], start_time="09:00", end_time="12:00", timezone="UTC")
    hr_client.get("/api/v1/busy/")  # warm the token cache
    query = "&".join(f"interviewer={p.pk}" for p in panel)
    with django_assert_max_num_queries(5):
        body = slots(hr_client, f"candidate={candidate.pk}&{query}&{RANGE}")
    assert body["slots"]


def test_naive_bounds_are_the_callers_wall_time_whatever_tz_asks(hr, hr_client, candidate, interviewer):
    hr.timezone = "Asia/Kolkata"
    hr.save()
    window(interviewer, utc(0, 0), utc(0, 23))
    window(candidate, utc(0, 0), utc(0, 23))
    body = slots(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}"
                            f"&start={MONDAY}T09:30:00&end={MONDAY}T12:30:00&tz=UTC")
    # 09:30-12:30 in Kolkata is 04:00-07:00 UTC: the grid (in UTC) gives 04:00, 05:00, 06:00
    assert [s["start"] for s in body["slots"]] == [iso(0, 4), iso(0, 5), iso(0, 6)]
