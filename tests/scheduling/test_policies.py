
import pytest

from tests.conftest import assert_error, client_for
from tests.factories import CandidateFactory
from tests.scheduling.helpers import at, book, free, slot_starts

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(candidate, interviewer):
    free(candidate, 8, 18)
    free(interviewer, 8, 18)


def set_policy(client, interviewer, **values):
    r = client.patch(f"/api/v1/users/{interviewer.pk}/policy", values, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def test_defaults_change_nothing(hr_client, candidate, interviewer, setup):
    policy = hr_client.get(f"/api/v1/users/{interviewer.pk}/policy").json()
    assert policy == {"user": interviewer.pk, "buffer_before": 0, "buffer_after": 0, "min_notice": 0, "max_per_day": None}
    assert len(slot_starts(hr_client, candidate, [interviewer])) == 10


def test_buffers_keep_other_interviews_away(hr_client, candidate, interviewer, setup):
    set_policy(hr_client, interviewer, buffer_before=15, buffer_after=30)
    other = CandidateFactory()
    free(other, 8, 18)
    assert book(hr_client, other, [interviewer], 12).status_code == 201
    # 12:00-13:00 booked; nothing may come within 30 minutes of it (max of the two buffers)
    starts = slot_starts(hr_client, candidate, [interviewer])
    assert "11:00" not in starts and "13:00" not in starts and "10:00" in starts and "14:00" in starts
    assert book(hr_client, candidate, [interviewer], 13, 15).status_code == 409
    assert book(hr_client, candidate, [interviewer], 13, 30).status_code == 201


def test_max_per_day(hr_client, candidate, interviewer, setup):
    set_policy(hr_client, interviewer, max_per_day=1)
    other = CandidateFactory()
    free(other, 8, 18)
    assert book(hr_client, other, [interviewer], 9).status_code == 201
    assert slot_starts(hr_client, candidate, [interviewer]) == []
    assert_error(book(hr_client, candidate, [interviewer], 14), 409, "slot_unavailable")


def test_min_notice(hr_client, candidate, interviewer, setup):
    set_policy(hr_client, interviewer, min_notice=60 * 24 * 30)  # 30 days' notice; the day is 10 days ahead
    assert slot_starts(hr_client, candidate, [interviewer]) == []
    assert_error(book(hr_client, candidate, [interviewer], 10), 409, "slot_unavailable")


def test_who_may_see_and_set_a_policy(interviewer, candidate, outsider_client, hr_client):
    own = client_for(interviewer)
    assert set_policy(own, interviewer, buffer_before=10)["buffer_before"] == 10
    assert_error(outsider_client.get(f"/api/v1/users/{interviewer.pk}/policy"), 404, "not_found")
    assert_error(hr_client.get(f"/api/v1/users/{candidate.pk}/policy"), 400, "validation_error")
    r = hr_client.patch(f"/api/v1/users/{interviewer.pk}/policy", {"buffer_before": -5}, format="json")
    assert "buffer_before" in assert_error(r, 400, "validation_error")["fields"]
    assert_error(hr_client.get("/api/v1/users/999999/policy"), 404, "not_found")


def test_a_looser_policy_retries_open_interview_requests(hr_client, candidate, interviewer, setup,
                                                        django_capture_on_commit_callbacks):
    set_policy(hr_client, interviewer, min_notice=60 * 24 * 30)  # nothing fits within 30 days' notice
    with django_capture_on_commit_callbacks(execute=True):
        r = hr_client.post("/api/v1/interview-requests/", {
            "candidate": candidate.pk, "interviewers": [interviewer.pk], "window_start": at(0).isoformat(),
            "window_end": at(0, day=2).isoformat(), "timezone": "UTC"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "open"
    with django_capture_on_commit_callbacks(execute=True):
        set_policy(hr_client, interviewer, min_notice=0)
    assert hr_client.get(f"/api/v1/interview-requests/{r.json()['id']}/").json()["status"] == "booked"


def test_a_policy_changed_in_the_admin_also_retries(client, hr, hr_client, candidate, interviewer, setup,
                                                   django_capture_on_commit_callbacks):
    from slots.models import InterviewerPolicy

    policy = InterviewerPolicy.objects.create(user=interviewer, min_notice=60 * 24 * 30)
    with django_capture_on_commit_callbacks(execute=True):
        r = hr_client.post("/api/v1/interview-requests/", {
            "candidate": candidate.pk, "interviewers": [interviewer.pk], "window_start": at(0).isoformat(),
            "window_end": at(0, day=2).isoformat(), "timezone": "UTC"}, format="json")
    assert r.json()["status"] == "open"
    client.force_login(hr)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/admin/slots/interviewerpolicy/{policy.pk}/change/", {
            "user": interviewer.pk, "buffer_before": 0, "buffer_after": 0, "min_notice": 0, "max_per_day": ""})
    assert page.status_code == 302
    assert hr_client.get(f"/api/v1/interview-requests/{r.json()['id']}/").json()["status"] == "booked"
