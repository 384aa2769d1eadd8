"""The admin keeps the API's rules; tested by posting the admin's own change and delete forms."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from scheduling.models import Interview, InviteDelivery
from slots.models import BusyPeriod, BusySource
from tests.conftest import assert_error
from tests.factories import CandidateFactory, InterviewerFactory
from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(hr_client, candidate, interviewer, django_capture_on_commit_callbacks):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    with django_capture_on_commit_callbacks(execute=True):
        r = book(hr_client, candidate, [interviewer], 10, title="Backend")
    assert r.status_code == 201
    mail.outbox.clear()
    return Interview.objects.get(pk=r.json()["id"])


@pytest.fixture
def admin_client(client, hr):
    client.force_login(hr)
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def interview_form(interview, **changes) -> dict:
    start = changes.pop("start", interview.start)
    end = changes.pop("end", interview.end)
    form = {
        "title": interview.title,
        "start_0": start.strftime("%Y-%m-%d"), "start_1": start.strftime("%H:%M:%S"),
        "end_0": end.strftime("%Y-%m-%d"), "end_1": end.strftime("%H:%M:%S"),
        "interviewers": [u.pk for u in interview.interviewers.all()],
    }
    form.update(changes)
    return form


# --- busy periods owned by an interview ---------------------------------------------------------------

def test_an_interview_busy_period_cannot_be_deleted_in_the_admin(admin_client, booked, hr_client, candidate,
                                                                  interviewer):
    period = BusyPeriod.objects.get(interview=booked, user=interviewer)
    r = admin_client.post(f"/admin/slots/busyperiod/{period.pk}/delete/", {"post": "yes"}, follow=True)
    assert BusyPeriod.objects.filter(pk=period.pk).exists()
    assert any(f"belongs to interview {booked.pk}" in t and "cancel" in t for t in texts(r))
    # so the API still refuses to book the interviewer twice
    other = CandidateFactory()
    free(other, 9, 13)
    assert_error(book(hr_client, other, [interviewer], 10), 409, "slot_unavailable")


def test_nor_by_the_bulk_delete_action(admin_client, booked, interviewer):
    period = BusyPeriod.objects.get(interview=booked, user=interviewer)
    manual = BusyPeriod.objects.create(user=interviewer, start=at(15), end=at(16), source=BusySource.MANUAL)
    r = admin_client.post("/admin/slots/busyperiod/", {"action": "delete_selected",
                                                       "_selected_action": [period.pk, manual.pk], "post": "yes"})
    assert r.status_code == 200 and b"belongs to interview" in r.content  # the "cannot delete" page
    assert BusyPeriod.objects.filter(pk__in=[period.pk, manual.pk]).count() == 2


def test_an_interview_busy_period_cannot_be_edited_in_the_admin(admin_client, booked, interviewer):
    period = BusyPeriod.objects.get(interview=booked, user=interviewer)
    page = admin_client.get(f"/admin/slots/busyperiod/{period.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]  # shown read-only
    later = at(12)
    r = admin_client.post(f"/admin/slots/busyperiod/{period.pk}/change/", {
        "user": interviewer.pk, "source": "manual", "external_calendar": "",
        "start_0": later.strftime("%Y-%m-%d"), "start_1": "12:00:00", "end_0": later.strftime("%Y-%m-%d"),
        "end_1": "13:00:00"}, follow=True)
    period.refresh_from_db()
    assert (period.start, period.end, period.source) == (booked.start, booked.end, BusySource.INTERVIEW)
    assert any("belongs to interview" in t for t in texts(r))


def test_interview_busy_time_cannot_be_added_by_hand(admin_client, interviewer):
    day = at(15)
    r = admin_client.post("/admin/slots/busyperiod/add/", {
        "user": interviewer.pk, "source": "interview", "external_calendar": "",
        "start_0": day.strftime("%Y-%m-%d"), "start_1": "15:00:00", "end_0": day.strftime("%Y-%m-%d"),
        "end_1": "16:00:00"})
    assert r.status_code == 200 and "source" in r.context["adminform"].form.errors
    assert not BusyPeriod.objects.exists()


def test_manual_busy_time_is_still_editable_in_the_admin(admin_client, interviewer):
    period = BusyPeriod.objects.create(user=interviewer, start=at(15), end=at(16), source=BusySource.MANUAL)
    r = admin_client.post(f"/admin/slots/busyperiod/{period.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302 and not BusyPeriod.objects.filter(pk=period.pk).exists()


def test_the_api_refuses_to_delete_interview_busy_time(hr_client, interviewer_client, booked, interviewer):
    period = BusyPeriod.objects.get(interview=booked, user=interviewer)
    for api in (hr_client, interviewer_client):
        assert "source" in assert_error(api.delete(f"/api/v1/busy/{period.pk}/"), 400, "validation_error")["fields"]
    assert BusyPeriod.objects.filter(pk=period.pk).exists()


# --- interviews ---------------------------------------------------------------------------------------

def test_rescheduling_in_the_admin_goes_through_the_service(admin_client, booked, candidate, interviewer,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(f"/admin/scheduling/interview/{booked.pk}/change/",
                              interview_form(booked, start=at(11), end=at(12)))
    assert r.status_code == 302, r.context["adminform"].form.errors
    booked.refresh_from_db()
    assert (booked.start, booked.end, booked.sequence) == (at(11), at(12), 1)
    assert set(BusyPeriod.objects.filter(interview=booked).values_list("start", flat=True)) == {at(11)}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([candidate.email, interviewer.email])
    assert all(m.subject.startswith("Updated:") for m in mail.outbox)


def test_a_reschedule_into_busy_time_is_refused_in_the_admin(admin_client, booked, interviewer):
    BusyPeriod.objects.create(user=interviewer, start=at(11), end=at(12), source=BusySource.MANUAL)
    r = admin_client.post(f"/admin/scheduling/interview/{booked.pk}/change/",
                          interview_form(booked, start=at(11), end=at(12)))
    assert r.status_code == 200
    assert "not free" in str(r.context["adminform"].form.non_field_errors())
    booked.refresh_from_db()
    assert (booked.start, booked.sequence) == (at(10), 0)
    assert mail.outbox == []


def test_a_new_title_and_panel_in_the_admin(admin_client, booked, interviewer, django_capture_on_commit_callbacks):
    second = InterviewerFactory()
    free(second, 9, 13)
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(f"/admin/scheduling/interview/{booked.pk}/change/",
                              interview_form(booked, title="Systems", interviewers=[second.pk]))
    assert r.status_code == 302, r.context["adminform"].form.errors
    booked.refresh_from_db()
    assert booked.title == "Systems" and booked.sequence == 1
    assert list(booked.interviewers.values_list("pk", flat=True)) == [second.pk]
    assert set(BusyPeriod.objects.filter(interview=booked).values_list("user_id", flat=True)) == {
        booked.candidate_id, second.pk}
    methods = {m.to[0]: m.alternatives[-1][1] for m in mail.outbox}
    assert methods[interviewer.email] == "text/calendar; method=CANCEL"
    assert methods[second.email] == "text/calendar; method=REQUEST"


def test_deleting_an_interview_in_the_admin_cancels_it(admin_client, booked, candidate, interviewer,
                                                       django_capture_on_commit_callbacks):
    page = admin_client.get(f"/admin/scheduling/interview/{booked.pk}/delete/")
    assert page.status_code == 200 and b"will be cancelled" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(f"/admin/scheduling/interview/{booked.pk}/delete/", {"post": "yes"}, follow=True)
    booked.refresh_from_db()
    assert booked.status == "cancelled" and booked.sequence == 1
    assert not BusyPeriod.objects.filter(interview=booked).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([candidate.email, interviewer.email])
    assert all(m.alternatives[-1][1] == "text/calendar; method=CANCEL" for m in mail.outbox)
    assert any("cancelled" in t for t in texts(r))


def test_the_bulk_delete_action_is_replaced_by_cancel(admin_client, booked, django_capture_on_commit_callbacks):
    r = admin_client.post("/admin/scheduling/interview/", {"action": "delete_selected",
                                                           "_selected_action": [booked.pk], "post": "yes"})
    assert Interview.objects.filter(pk=booked.pk, status="scheduled").exists()  # no such action
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post("/admin/scheduling/interview/", {"action": "cancel_selected",
                                                               "_selected_action": [booked.pk]})
    assert r.status_code == 302
    booked.refresh_from_db()
    assert booked.status == "cancelled" and booked.sequence == 1
    assert InviteDelivery.objects.filter(interview=booked, method="CANCEL").count() == 2


def test_a_cancelled_interview_is_read_only_in_the_admin(admin_client, booked, hr_client):
    hr_client.post(f"/api/v1/interviews/{booked.pk}/cancel")
    r = admin_client.post(f"/admin/scheduling/interview/{booked.pk}/change/",
                          interview_form(booked, start=at(11), end=at(12)))
    assert r.status_code == 403
    booked.refresh_from_db()
    assert booked.start == at(10)


def test_availability_added_in_the_admin_retries_open_requests(admin_client, hr_client, candidate, interviewer,
                                                              django_capture_on_commit_callbacks):
    free(interviewer, 9, 12)
    with django_capture_on_commit_callbacks(execute=True):
        r = hr_client.post("/api/v1/interview-requests/", {
            "candidate": candidate.pk, "interviewers": [interviewer.pk], "window_start": at(0).isoformat(),
            "window_end": at(0, day=2).isoformat(), "timezone": "UTC"}, format="json")
    assert r.json()["status"] == "open"
    day = at(10)
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post("/admin/slots/availabilitywindow/add/", {
            "user": candidate.pk, "source": "manual", "start_0": day.strftime("%Y-%m-%d"), "start_1": "10:00:00",
            "end_0": day.strftime("%Y-%m-%d"), "end_1": "12:00:00"})
    assert page.status_code == 302
    assert hr_client.get(f"/api/v1/interview-requests/{r.json()['id']}/").json()["status"] == "booked"
