import pytest

from tests.conftest import assert_error
from tests.factories import CandidateFactory, InterviewerFactory

pytestmark = pytest.mark.django_db


def test_hr_finds_a_user_by_email_in_any_case(hr_client, candidate, interviewer):
    r = hr_client.get("/api/v1/users/?email=CAND@Example.COM")
    assert r.status_code == 200
    assert [u["id"] for u in r.json()["results"]] == [candidate.pk]
    assert hr_client.get("/api/v1/users/?email=cand@example").json()["results"] == []  # exact, not a prefix
    assert hr_client.get("/api/v1/users/?email=cand@example.com&role=interviewer").json()["results"] == []


def test_email_filter_is_not_ignored(hr_client, candidate, interviewer):
    CandidateFactory.create_batch(3)
    assert hr_client.get("/api/v1/users/?email=nobody@example.com").json()["count"] == 0


def test_hr_gets_one_user(hr_client, interviewer):
    r = hr_client.get(f"/api/v1/users/{interviewer.pk}/")
    assert r.status_code == 200
    assert r.json() == {"id": interviewer.pk, "email": interviewer.email, "name": interviewer.name,
                        "role": "interviewer", "timezone": "UTC"}
    assert hr_client.get(f"/api/v1/users/{interviewer.pk}").status_code == 200  # slash-tolerant
    assert_error(hr_client.get("/api/v1/users/999999/"), 404, "not_found")


def test_only_hr_looks_users_up(candidate_client, interviewer_client, candidate, anon_client):
    for api in (candidate_client, interviewer_client):
        assert_error(api.get(f"/api/v1/users/{candidate.pk}/"), 403, "permission_denied")
        assert_error(api.get("/api/v1/users/?email=cand@example.com"), 403, "permission_denied")
    assert_error(anon_client.get(f"/api/v1/users/{candidate.pk}/"), 401, "not_authenticated")


@pytest.mark.parametrize("query", ["?emial=cand@example.com", "?role=candidate&colour=red", "?email=" + "a" * 300,
                                   "?email=%20", "?role=boss"])
def test_bad_user_queries_are_400(hr_client, candidate, query):
    error = assert_error(hr_client.get("/api/v1/users/" + query), 400, "validation_error")
    name = query[1:].split("=")[0] if "colour" not in query else "colour"
    assert name in error["fields"]


@pytest.mark.parametrize("path", ["/api/v1/availability/", "/api/v1/busy/", "/api/v1/interviews/",
                                  "/api/v1/availability/weekly/", "/api/v1/interview-requests/",
                                  "/api/v1/calendars/subscriptions/", "/api/v1/users/",
                                  "/api/v1/scheduling-links/"])
def test_an_unknown_query_parameter_on_any_listing_is_400(hr_client, path):
    error = assert_error(hr_client.get(path + "?bogus=1"), 400, "validation_error")
    assert list(error["fields"]) == ["bogus"]


def test_interview_request_status_is_checked(hr_client):
    assert "status" in assert_error(hr_client.get("/api/v1/interview-requests/?status=nope"), 400,
                                    "validation_error")["fields"]
    assert hr_client.get("/api/v1/interview-requests/?status=open").status_code == 200


def test_interviewer_factory_users_listed_by_role(hr_client):
    InterviewerFactory.create_batch(2)
    assert hr_client.get("/api/v1/users/?role=interviewer").json()["count"] == 2


def test_drf_format_override_is_a_known_parameter(hr_client, candidate):
    assert hr_client.get("/api/v1/busy/?format=json").status_code == 200
    assert_error(hr_client.get("/api/v1/busy/?format=xml"), 404, "not_found")  # DRF: no such renderer
