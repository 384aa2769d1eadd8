"""PATCH /interviews/{id}/ changes time, title and panel (or says which field it cannot change); a cancel's
reason is kept, shown and mailed."""

import pytest
from django.core import mail
from icalendar import Calendar

from scheduling.models import Interview, InviteDelivery
from slots.models import BusyPeriod, BusySource
from tests.conftest import assert_error
from tests.factories import CandidateFactory, InterviewerFactory
from tests.scheduling.helpers import at, book, free, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(hr_client, candidate, interviewer, django_capture_on_commit_callbacks):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    with django_capture_on_commit_callbacks(execute=True):
        r = book(hr_client, candidate, [interviewer], 10, title="Backend")
    assert r.status_code == 201
    mail.outbox.clear()
    return r.json()


def patch(client, interview, body):
    return client.patch(f"/api/v1/interviews/{interview['id']}/", body, format="json")


def sent_methods() -> dict[str, str]:
    out = {}
    for message in mail.outbox:
        out[message.to[0]] = str(Calendar.from_ical(message.alternatives[-1][0])["METHOD"])
    return out


def test_title_changes_with_a_new_invite(hr_client, booked, candidate, interviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = patch(hr_client, booked, {"title": "Backend, round two"})
    assert r.status_code == 200, r.content
    assert r.json()["title"] == "Backend, round two" and r.json()["sequence"] == 1
    assert sent_methods() == {candidate.email: "REQUEST", interviewer.email: "REQUEST"}
    event = Calendar.from_ical(mail.outbox[0].alternatives[-1][0]).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Backend, round two" and event["SEQUENCE"] == 1


def test_interviewers_change_checked_like_a_booking(hr_client, booked, candidate, interviewer,
                                                   django_capture_on_commit_callbacks):
    newcomer, busy = InterviewerFactory(), InterviewerFactory()
    free(newcomer, 9, 13)
    free(busy, 9, 13)
    BusyPeriod.objects.create(user=busy, start=at(10), end=at(11), source=BusySource.MANUAL)
    r = patch(hr_client, booked, {"interviewers": [interviewer.pk, busy.pk]})
    assert assert_error(r, 409, "slot_unavailable")["unavailable"] == [busy.pk]
    assert Interview.objects.get(pk=booked["id"]).sequence == 0

    with django_capture_on_commit_callbacks(execute=True):
        r = patch(hr_client, booked, {"interviewers": [newcomer.pk]})
    assert r.status_code == 200, r.content
    assert r.json()["interviewers"] == [newcomer.pk] and r.json()["sequence"] == 1
    assert sent_methods() == {candidate.email: "REQUEST", newcomer.email: "REQUEST", interviewer.email: "CANCEL"}
    removed = Calendar.from_ical(next(m for m in mail.outbox if m.to == [interviewer.email]).alternatives[-1][0])
    event = removed.walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED" and str(event["ATTENDEE"]) == f"mailto:{interviewer.email}"
    assert set(BusyPeriod.objects.filter(interview_id=booked["id"]).values_list("user_id", flat=True)) == {
        candidate.pk, newcomer.pk}
    # the interviewer who left is free again; the one who joined is not
    other = CandidateFactory()
    free(other, 9, 13)
    assert book(hr_client, other, [interviewer], 10).status_code == 201
    assert_error(book(hr_client, other, [newcomer], 10), 409, "slot_unavailable")


def test_time_and_panel_at_once(hr_client, booked, candidate, interviewer):
    newcomer = InterviewerFactory()
    free(newcomer, 11, 13)
    r = patch(hr_client, booked, {"interviewers": [interviewer.pk, newcomer.pk], "start": iso(11)})
    assert r.status_code == 200, r.content
    assert r.json()["start"] == iso(11) and r.json()["sequence"] == 1
    assert BusyPeriod.objects.filter(interview_id=booked["id"], start=at(11)).count() == 3


def test_a_removed_interviewers_cancel_survives_a_later_change(hr_client, booked, candidate, interviewer):
    from scheduling.delivery import invites_retry_pending

    newcomer = InterviewerFactory()
    free(newcomer, 9, 13)
    patch(hr_client, booked, {"interviewers": [newcomer.pk]})  # on-commit not run: deliveries stay pending
    patch(hr_client, booked, {"title": "Later"})
    invites_retry_pending()
    sent = {(m.to[0], str(Calendar.from_ical(m.alternatives[-1][0])["METHOD"])) for m in mail.outbox}
    assert (interviewer.email, "CANCEL") in sent
    assert InviteDelivery.objects.filter(recipient=interviewer, method="CANCEL", status="sent").count() == 1


@pytest.mark.parametrize("body, field", [
    ({"candidate": 5}, "candidate"),
    ({"status": "cancelled"}, "status"),
    ({"title": "x", "colour": "red"}, "colour"),
    ({"end": "2030-01-01T00:00:00Z"}, "end"),
    ({"sequence": 9}, "sequence"),
])
def test_fields_that_cannot_change_are_named(hr_client, booked, body, field):
    r = patch(hr_client, booked, body)
    assert field in assert_error(r, 400, "validation_error")["fields"]
    assert Interview.objects.get(pk=booked["id"]).sequence == 0


@pytest.mark.parametrize("body", [{}, [], "x", {"interviewers": []}, {"interviewers": [0]},
                                  {"interviewers": ["x"]}, {"title": None}])
def test_bad_patches_are_400(hr_client, booked, body):
    assert_error(patch(hr_client, booked, body), 400, "validation_error")


def test_a_candidate_cannot_be_an_interviewer(hr_client, booked, candidate):
    assert_error(patch(hr_client, booked, {"interviewers": [candidate.pk]}), 400, "validation_error")
    assert_error(patch(hr_client, booked, {"interviewers": [999999]}), 404, "not_found")


def test_only_hr_changes_interviews(candidate_client, interviewer_client, outsider_client, booked):
    assert_error(patch(candidate_client, booked, {"title": "Mine"}), 403, "permission_denied")
    assert_error(patch(interviewer_client, booked, {"title": "Mine"}), 403, "permission_denied")
    assert_error(patch(outsider_client, booked, {"title": "Mine"}), 404, "not_found")


def test_a_cancelled_interview_cannot_change(hr_client, booked):
    hr_client.post(f"/api/v1/interviews/{booked['id']}/cancel")
    assert_error(patch(hr_client, booked, {"title": "Again"}), 409, "conflict")


def test_nothing_new_changes_nothing(hr_client, booked, interviewer):
    r = patch(hr_client, booked, {"title": "Backend", "interviewers": [interviewer.pk]})
    assert r.status_code == 200 and r.json()["sequence"] == 0
    assert InviteDelivery.objects.filter(interview_id=booked["id"]).count() == 2


def test_cancel_reason_is_kept_shown_and_mailed(hr_client, candidate_client, booked, candidate,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = hr_client.post(f"/api/v1/interviews/{booked['id']}/cancel", {"reason": "The role was filled."},
                           format="json")
    assert r.status_code == 200
    assert r.json()["cancel_reason"] == "The role was filled." and r.json()["status"] == "cancelled"
    assert candidate_client.get(f"/api/v1/interviews/{booked['id']}/").json()["cancel_reason"] == "The role was filled."
    assert Interview.objects.get(pk=booked["id"]).cancel_reason == "The role was filled."
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "The role was filled." in message.body
        assert "The role was filled." in message.alternatives[0][0]  # the HTML part


@pytest.mark.parametrize("body", [{"reason": "x" * 1001}, {"reason": 5, "why": 1}, {"why": "no"}, ["no"]])
def test_bad_cancels_are_400(hr_client, booked, body):
    assert_error(hr_client.post(f"/api/v1/interviews/{booked['id']}/cancel", body, format="json"), 400,
                 "validation_error")
    assert Interview.objects.get(pk=booked["id"]).status == "scheduled"


def test_cancel_without_a_body_still_works(hr_client, booked):
    r = hr_client.post(f"/api/v1/interviews/{booked['id']}/cancel")
    assert r.status_code == 200 and r.json()["cancel_reason"] == ""
