import pytest

from scheduling.auto import interview_request_try, interview_requests_try_all
from scheduling.models import Interview, InterviewRequest, RequestStatus
from tests.conftest import assert_error
from tests.factories import CandidateFactory, InterviewerFactory
from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db


def file_request(client, candidate, interviewers, **extra):
    body = {
        "candidate": candidate.pk,
        "interviewers": [i.pk for i in interviewers],
        "window_start": at(0).isoformat(),
        "window_end": at(0, day=5).isoformat(),
        "timezone": "UTC",
        **extra,
    }
    return client.post("/api/v1/interview-requests/", body, format="json")


def test_booked_as_soon_as_matching_availability_appears(hr_client, candidate_client, candidate, interviewer,
                                                         django_capture_on_commit_callbacks):
    free(interviewer, 9, 12)
    with django_capture_on_commit_callbacks(execute=True):
        r = file_request(hr_client, candidate, [interviewer], title="Auto")
    assert r.status_code == 201 and r.json()["status"] == "open"
    request_id = r.json()["id"]
    assert InterviewRequest.objects.get(pk=request_id).status == RequestStatus.OPEN
    # the candidate adds availability through the API: the request is tried again and booked
    with django_capture_on_commit_callbacks(execute=True):
        candidate_client.post("/api/v1/availability/", {"start": at(10).isoformat(), "end": at(13).isoformat()},
                              format="json")
    body = hr_client.get(f"/api/v1/interview-requests/{request_id}/").json()
    assert body["status"] == "booked"
    interview = Interview.objects.get(pk=body["interview"])
    assert (interview.start, interview.end) == (at(10), at(11)) and interview.title == "Auto"
    assert list(interview.interviewers.values_list("pk", flat=True)) == [interviewer.pk]


def test_never_booked_twice(hr_client, candidate, interviewer, django_capture_on_commit_callbacks):
    free(interviewer, 9, 12)
    free(candidate, 9, 12)
    with django_capture_on_commit_callbacks(execute=True):
        request_id = file_request(hr_client, candidate, [interviewer]).json()["id"]
    assert InterviewRequest.objects.get(pk=request_id).status == RequestStatus.BOOKED
    assert interview_request_try(request_id=request_id) == RequestStatus.BOOKED
    assert interview_requests_try_all() == 0
    assert Interview.objects.count() == 1


def test_pool_picks_one_least_loaded_interviewer(hr_client, candidate, interviewer, django_capture_on_commit_callbacks):
    busy_one = interviewer
    idle_one = InterviewerFactory()
    for person in (candidate, busy_one, idle_one):
        free(person, 9, 17)
    someone = CandidateFactory()
    free(someone, 9, 17)
    assert book(hr_client, someone, [busy_one], 15).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        body = file_request(hr_client, candidate, [busy_one, idle_one], mode="one_of", choice="least_loaded").json()
    request = InterviewRequest.objects.get(pk=body["id"])
    assert request.status == RequestStatus.BOOKED
    assert list(request.interview.interviewers.values_list("pk", flat=True)) == [idle_one.pk]


def test_cancelled_request_is_not_booked(hr_client, candidate, interviewer):
    request_id = file_request(hr_client, candidate, [interviewer]).json()["id"]
    assert hr_client.post(f"/api/v1/interview-requests/{request_id}/cancel").json()["status"] == "cancelled"
    free(interviewer, 9, 12)
    free(candidate, 9, 12)
    assert interview_request_try(request_id=request_id) == RequestStatus.CANCELLED
    assert Interview.objects.count() == 0


def test_requests_are_hr_only_and_validated(hr_client, candidate_client, candidate, interviewer):
    assert_error(file_request(candidate_client, candidate, [interviewer]), 403, "permission_denied")
    assert_error(candidate_client.get("/api/v1/interview-requests/"), 403, "permission_denied")
    r = file_request(hr_client, candidate, [interviewer], window_end=at(0, day=-1).isoformat())
    assert "window_end" in assert_error(r, 400, "validation_error")["fields"]
    assert_error(file_request(hr_client, candidate, [interviewer], mode="all"), 400, "validation_error")
    assert_error(file_request(hr_client, interviewer, [interviewer]), 400, "validation_error")
    assert_error(hr_client.get("/api/v1/interview-requests/999/"), 404, "not_found")
