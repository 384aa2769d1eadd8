"""``/slots/`` with a pool (K of it free besides the panel) and the explanation of an empty answer."""

from datetime import timedelta

import pytest

from scheduling.models import InterviewRequest
from slots.models import BusyPeriod, InterviewerPolicy
from tests.conftest import assert_error, client_for
from tests.factories import CandidateFactory, InterviewerFactory
from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db

RANGE = f"start={at(0).isoformat().replace('+00:00', 'Z')}&end={at(0, day=1).isoformat().replace('+00:00', 'Z')}"


def get(client, query: str, status: int = 200):
    r = client.get(f"/api/v1/slots/?{query}&{RANGE}&tz=UTC")
    assert r.status_code == status, r.content
    return r.json()


@pytest.fixture
def pool(db):
    return sorted([InterviewerFactory(), InterviewerFactory(), InterviewerFactory()], key=lambda u: u.pk)


def test_no_pool_keeps_the_answer_as_it_was(hr_client, candidate, interviewer):
    free(candidate, 9, 11)
    free(interviewer, 9, 11)
    body = get(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}")
    assert set(body) == {"candidate", "interviewers", "duration", "step", "timezone", "start", "end", "slots"}
    assert body["slots"] == [{"start": at(9).isoformat(), "end": at(10).isoformat()},
                             {"start": at(10).isoformat(), "end": at(11).isoformat()}]


def test_one_of_a_pool_with_available_members(hr_client, candidate, interviewer, pool, django_assert_max_num_queries):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    free(pool[0], 9, 11)
    free(pool[1], 10, 12)
    free(pool[2], 14, 16)  # never while the others are free
    query = f"candidate={candidate.pk}&interviewer={interviewer.pk}&" + "&".join(f"pool={p.pk}" for p in reversed(pool))
    with django_assert_max_num_queries(7):
        body = get(hr_client, query)
    assert body["pool"] == [p.pk for p in reversed(pool)] and body["pool_size"] == 1
    assert [(s["start"][11:16], s["available"]) for s in body["slots"]] == [
        ("09:00", [pool[0].pk]), ("10:00", [pool[0].pk, pool[1].pk]), ("11:00", [pool[1].pk])]
    assert "explanation" not in body


def test_two_of_a_pool_without_a_panel_interviewer(hr_client, candidate, pool):
    free(candidate, 9, 13)
    free(pool[0], 9, 11)
    free(pool[1], 10, 12)
    free(pool[2], 10, 13)
    # the panel may be empty-handed: the pool alone is not enough, an interviewer is still required
    assert_error(hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&pool={pool[0].pk}&{RANGE}"),
                 400, "validation_error")
    panel = InterviewerFactory()
    free(panel, 9, 13)
    query = f"candidate={candidate.pk}&interviewer={panel.pk}&pool={pool[0].pk},{pool[1].pk},{pool[2].pk}&pool_size=2"
    body = get(hr_client, query)
    assert [(s["start"][11:16], s["available"]) for s in body["slots"]] == [
        ("10:00", [p.pk for p in pool]), ("11:00", [pool[1].pk, pool[2].pk])]


@pytest.mark.parametrize("extra, field", [
    ("pool_size=1", "pool_size"),  # pool_size without a pool
    ("pool={p0}&pool_size=2", "pool_size"),  # more than the pool holds
    ("pool={p0}&pool={p0}", "pool"),  # a member twice
    ("pool={i}", "pool"),  # a panel interviewer also in the pool
    ("pool={c}", "pool"),  # the candidate in the pool
    ("pool=abc", "pool"),
    ("pool={p0}&pool_size=0", "pool_size"),
])
def test_bad_pools_are_400(hr_client, candidate, interviewer, pool, extra, field):
    extra = extra.format(p0=pool[0].pk, i=interviewer.pk, c=candidate.pk)
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&{extra}&{RANGE}")
    assert field in assert_error(r, 400, "validation_error")["fields"]


def test_unknown_pool_member_is_404(hr_client, candidate, interviewer):
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&pool=987654&{RANGE}")
    assert_error(r, 404, "not_found")


def test_explanation_no_free_time(hr_client, candidate, interviewer):
    free(candidate, 9, 12)
    body = get(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}")
    assert body["slots"] == []
    assert body["explanation"]["code"] == "no_free_time" and body["explanation"]["users"] == [interviewer.pk]
    assert str(interviewer.pk) in body["explanation"]["message"]


def test_explanation_no_common_time(hr_client, candidate, interviewer):
    free(candidate, 9, 10)
    free(interviewer, 10, 12)
    explanation = get(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}")["explanation"]
    assert explanation["code"] == "no_common_time"
    assert explanation["users"] == sorted([candidate.pk, interviewer.pk])


def test_explanation_too_short_after_busy_time(hr_client, candidate, interviewer):
    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    BusyPeriod.objects.create(user=interviewer, start=at(9, 30), end=at(10, 30), source="manual")
    BusyPeriod.objects.create(user=interviewer, start=at(11), end=at(12), source="manual")
    explanation = get(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}")["explanation"]
    assert explanation["code"] == "too_short" and explanation["users"] == [interviewer.pk]


def test_explanation_policy_names_the_interviewer(hr_client, candidate, interviewer):
    second = InterviewerFactory()
    for person in (candidate, interviewer, second):
        free(person, 9, 12)
    other = CandidateFactory()
    free(other, 12, 13)
    free(second, 12, 13)
    assert book(hr_client, other, [second], 12).status_code == 201
    InterviewerPolicy.objects.create(user=second, buffer_before=180)
    explanation = get(hr_client, f"candidate={candidate.pk}&interviewer={interviewer.pk}&interviewer={second.pk}")[
        "explanation"]
    assert explanation == {"code": "policy", "users": [second.pk], "message": explanation["message"]}


def test_explanation_for_a_pool(hr_client, candidate, interviewer, pool):
    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    free(pool[0], 13, 15)
    query = f"candidate={candidate.pk}&interviewer={interviewer.pk}&pool={pool[0].pk}&pool={pool[1].pk}&pool_size=2"
    body = get(hr_client, query)
    assert body["slots"] == []
    assert body["explanation"]["code"] == "no_free_time" and body["explanation"]["users"] == [pool[1].pk]


def test_open_interview_request_shows_the_explanation(hr_client, candidate, interviewer,
                                                      django_capture_on_commit_callbacks):
    free(candidate, 9, 10)
    free(interviewer, 10, 12)
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk], "window_start": at(0).isoformat(),
            "window_end": at(0, day=2).isoformat(), "timezone": "UTC"}
    with django_capture_on_commit_callbacks(execute=True):
        request_id = hr_client.post("/api/v1/interview-requests/", body, format="json").json()["id"]
    shown = hr_client.get(f"/api/v1/interview-requests/{request_id}/").json()
    assert shown["status"] == "open"
    assert shown["explanation"]["code"] == "no_common_time"
    assert shown["explanation"]["users"] == sorted([candidate.pk, interviewer.pk])
    # the same explanation the slots endpoint gives for that panel and window
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&step=30"
                      f"&start={at(0).isoformat().replace('+00:00', 'Z')}"
                      f"&end={at(0, day=2).isoformat().replace('+00:00', 'Z')}&tz=UTC")
    assert r.json()["explanation"] == shown["explanation"]
    # once a slot fits, it is booked and the explanation goes
    with django_capture_on_commit_callbacks(execute=True):
        client_for(candidate).post("/api/v1/availability/", {"start": at(10).isoformat(), "end": at(11).isoformat()},
                                   format="json")
    shown = hr_client.get(f"/api/v1/interview-requests/{request_id}/").json()
    assert shown["status"] == "booked" and shown["explanation"] is None
    assert InterviewRequest.objects.get(pk=request_id).explanation is None


def test_open_one_of_request_explains_with_the_pool(hr_client, candidate, interviewer,
                                                    django_capture_on_commit_callbacks):
    second = InterviewerFactory()
    free(candidate, 9, 12)
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk, second.pk], "mode": "one_of",
            "window_start": at(0).isoformat(), "window_end": (at(0) + timedelta(days=2)).isoformat()}
    with django_capture_on_commit_callbacks(execute=True):
        request_id = hr_client.post("/api/v1/interview-requests/", body, format="json").json()["id"]
    explanation = hr_client.get(f"/api/v1/interview-requests/{request_id}/").json()["explanation"]
    assert explanation["code"] == "no_free_time" and explanation["users"] == sorted([interviewer.pk, second.pk])
