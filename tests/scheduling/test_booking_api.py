import pytest

from scheduling.models import Interview, InterviewStatus
from slots.models import BusyPeriod
from tests.conftest import assert_error
from tests.factories import CandidateFactory, InterviewerFactory
from tests.scheduling.helpers import at, book, free, iso, slot_starts

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_free(candidate, interviewer):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)


def test_book_answers_the_contract(hr_client, candidate, interviewer, both_free, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = book(hr_client, candidate, [interviewer], 10, title="Backend interview")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["candidate"] == candidate.pk and body["interviewers"] == [interviewer.pk]
    assert body["start"] == iso(10) and body["end"] == iso(11)
    assert body["status"] == "scheduled" and body["sequence"] == 0
    assert body["ics_url"] == f"http://testserver/api/v1/interviews/{body['id']}/invite.ics"
    busy = BusyPeriod.objects.filter(interview_id=body["id"])
    assert sorted(busy.values_list("user_id", flat=True)) == sorted([candidate.pk, interviewer.pk])
    assert set(busy.values_list("source", flat=True)) == {"interview"}


def test_booked_time_leaves_and_returns_to_the_slots(hr_client, candidate, interviewer, both_free):
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "10:00", "11:00", "12:00"]
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "11:00", "12:00"]
    # another candidate cannot have this interviewer at 10:00 either
    other = CandidateFactory()
    free(other, 9, 13)
    assert slot_starts(hr_client, other, [interviewer]) == ["09:00", "11:00", "12:00"]
    assert hr_client.post(f"/api/v1/interviews/{interview_id}/cancel").json()["status"] == "cancelled"
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "10:00", "11:00", "12:00"]
    assert not BusyPeriod.objects.filter(interview_id=interview_id).exists()


def test_busy_list_shows_the_interview(hr_client, candidate_client, candidate, interviewer, both_free):
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]
    busy = candidate_client.get("/api/v1/busy/").json()
    assert [(b["source"], b["interview"]) for b in busy] == [("interview", interview_id)]


def test_409_names_who_is_not_free(hr_client, candidate, interviewer, both_free):
    second = InterviewerFactory()
    r = book(hr_client, candidate, [interviewer, second], 10)
    error = assert_error(r, 409, "slot_unavailable")
    assert error["unavailable"] == [second.pk]
    assert Interview.objects.count() == 0


@pytest.mark.parametrize("hour, minute, duration", [(8, 0, 60), (12, 30, 60), (12, 0, 90), (13, 0, 60)])
def test_409_outside_free_time(hr_client, candidate, interviewer, both_free, hour, minute, duration):
    assert_error(book(hr_client, candidate, [interviewer], hour, minute, duration=duration), 409, "slot_unavailable")


def test_back_to_back_bookings_touch_without_overlapping(hr_client, candidate, interviewer, both_free):
    assert book(hr_client, candidate, [interviewer], 10).status_code == 201
    assert book(hr_client, candidate, [interviewer], 11).status_code == 201
    assert_error(book(hr_client, candidate, [interviewer], 10, 30), 409, "slot_unavailable")


def test_off_grid_start_and_duration(hr_client, candidate, interviewer, both_free):
    r = book(hr_client, candidate, [interviewer], 9, 45, duration=45)
    assert r.status_code == 201 and r.json()["end"] == iso(10, 30)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "not a time"}, "start"),
        ({"duration": 5}, "duration"),
        ({"duration": 600}, "duration"),
        ({"interviewers": []}, "interviewers"),
        ({"interviewers": "3"}, "interviewers"),
        ({"candidate": "x"}, "candidate"),
        ({"start": "2001-01-01T10:00:00Z"}, "start"),
    ],
)
def test_bad_booking_input(hr_client, candidate, interviewer, both_free, body, field):
    full = {"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": iso(10), **body}
    r = hr_client.post("/api/v1/interviews/", full, format="json")
    assert field in assert_error(r, 400, "validation_error")["fields"]


def test_wrong_roles_and_missing_users(hr_client, candidate, interviewer, both_free):
    assert_error(book(hr_client, interviewer, [interviewer], 10), 400, "validation_error")
    assert_error(book(hr_client, candidate, [candidate], 10), 400, "validation_error")
    r = hr_client.post("/api/v1/interviews/", {"candidate": 999999, "interviewers": [interviewer.pk], "start": iso(10)},
                       format="json")
    assert_error(r, 404, "not_found")


def test_only_hr_books(candidate_client, interviewer_client, anon_client, candidate, interviewer, both_free):
    assert_error(book(candidate_client, candidate, [interviewer], 10), 403, "permission_denied")
    assert_error(book(interviewer_client, candidate, [interviewer], 10), 403, "permission_denied")
    assert_error(book(anon_client, candidate, [interviewer], 10), 401, "not_authenticated")


def test_participants_see_their_own_interviews_only(hr_client, candidate_client, interviewer_client, outsider_client,
                                                    candidate, interviewer, both_free):
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]
    for client in (candidate_client, interviewer_client, hr_client):
        assert [i["id"] for i in client.get("/api/v1/interviews/").json()] == [interview_id]
        assert client.get(f"/api/v1/interviews/{interview_id}/").status_code == 200
        assert client.get(f"/api/v1/interviews/{interview_id}/invite.ics").status_code == 200
    assert outsider_client.get("/api/v1/interviews/").json() == []
    assert_error(outsider_client.get(f"/api/v1/interviews/{interview_id}/"), 404, "not_found")
    assert_error(outsider_client.get(f"/api/v1/interviews/{interview_id}/invite.ics"), 404, "not_found")
    assert_error(outsider_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json"),
                 404, "not_found")
    assert_error(outsider_client.post(f"/api/v1/interviews/{interview_id}/cancel"), 404, "not_found")
    assert_error(candidate_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json"),
                 403, "permission_denied")
    assert_error(interviewer_client.post(f"/api/v1/interviews/{interview_id}/cancel"), 403, "permission_denied")


def test_list_filters(hr_client, candidate, interviewer, both_free):
    first = book(hr_client, candidate, [interviewer], 9).json()["id"]
    second = book(hr_client, candidate, [interviewer], 11).json()["id"]
    hr_client.post(f"/api/v1/interviews/{first}/cancel")
    assert [i["id"] for i in hr_client.get("/api/v1/interviews/?status=scheduled").json()] == [second]
    assert [i["id"] for i in hr_client.get("/api/v1/interviews/?status=cancelled").json()] == [first]
    start = at(10).isoformat().replace("+00:00", "Z")
    assert [i["id"] for i in hr_client.get(f"/api/v1/interviews/?start={start}").json()] == [second]
    assert_error(hr_client.get("/api/v1/interviews/?status=done"), 400, "validation_error")


def test_reschedule(hr_client, candidate, interviewer, both_free):
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]
    url = f"/api/v1/interviews/{interview_id}/"
    r = hr_client.patch(url, {"start": iso(10, 30)}, format="json")  # overlaps its own old time: fine
    assert r.status_code == 200 and r.json()["start"] == iso(10, 30) and r.json()["sequence"] == 1
    assert slot_starts(hr_client, candidate, [interviewer]) == ["09:00", "12:00"]
    assert_error(hr_client.patch(url, {"start": iso(12, 30)}, format="json"), 409, "slot_unavailable")
    assert hr_client.get(url).json()["sequence"] == 1  # a refused reschedule changes nothing
    assert_error(hr_client.patch(url, {"start": "junk"}, format="json"), 400, "validation_error")
    assert_error(hr_client.patch(url, {}, format="json"), 400, "validation_error")


def test_reschedule_into_another_interview_is_409(hr_client, candidate, interviewer, both_free):
    first = book(hr_client, candidate, [interviewer], 9).json()["id"]
    book(hr_client, candidate, [interviewer], 11)
    assert_error(hr_client.patch(f"/api/v1/interviews/{first}/", {"start": iso(11)}, format="json"),
                 409, "slot_unavailable")


def test_cancel_twice_is_harmless_and_cancelled_cannot_move(hr_client, candidate, interviewer, both_free):
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]
    first = hr_client.post(f"/api/v1/interviews/{interview_id}/cancel").json()
    again = hr_client.post(f"/api/v1/interviews/{interview_id}/cancel").json()
    assert first["status"] == again["status"] == "cancelled" and first["sequence"] == again["sequence"] == 1
    r = hr_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json")
    assert_error(r, 409, "conflict")
    assert Interview.objects.get().status == InterviewStatus.CANCELLED


def test_idempotency_key_returns_the_first_answer(hr_client, candidate, interviewer, both_free):
    headers = {"HTTP_IDEMPOTENCY_KEY": "book-1"}
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": iso(10)}
    first = hr_client.post("/api/v1/interviews/", body, format="json", **headers)
    again = hr_client.post("/api/v1/interviews/", body, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Interview.objects.count() == 1
    different = hr_client.post("/api/v1/interviews/", {**body, "start": iso(11)}, format="json", **headers)
    assert_error(different, 409, "conflict")
    without_key = hr_client.post("/api/v1/interviews/", body, format="json")
    assert_error(without_key, 409, "slot_unavailable")


def test_idempotency_keys_belong_to_one_user(hr_client, candidate, interviewer, both_free):
    from tests.conftest import client_for
    from tests.factories import HRFactory

    other_hr = client_for(HRFactory())
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": iso(10)}
    assert hr_client.post("/api/v1/interviews/", body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    r = other_hr.post("/api/v1/interviews/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert_error(r, 409, "slot_unavailable")  # its own key: a real second attempt, refused on its merits


def test_interview_list_query_count_does_not_grow(hr_client, candidate, interviewer, django_assert_max_num_queries):
    second = InterviewerFactory()
    for person in (candidate, interviewer, second):
        free(person, 0, 23)
    for hour in range(0, 20, 2):
        assert book(hr_client, candidate, [interviewer, second], hour).status_code == 201
    hr_client.get("/api/v1/busy/")  # warm the token cache
    with django_assert_max_num_queries(3):
        body = hr_client.get("/api/v1/interviews/").json()
    assert len(body) == 10 and all(len(i["interviewers"]) == 2 for i in body)
