import email
from email import policy

import pytest
from django.core import mail
from icalendar import Calendar

from scheduling.delivery import invites_retry_pending
from scheduling.models import DeliveryStatus, Interview, InviteDelivery
from tests.scheduling.helpers import book, free, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(candidate, interviewer):
    candidate.timezone = "Asia/Kolkata"
    candidate.save()
    interviewer.timezone = "America/New_York"
    interviewer.save()
    free(candidate, 9, 13)
    free(interviewer, 9, 13)


def parse(message) -> tuple[email.message.EmailMessage, Calendar, str]:
    """The sent email as bytes on the wire, parsed back: (mime, calendar, content-type of the calendar part)."""
    raw = message.message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    parts = {part.get_content_type(): part for part in parsed.walk() if not part.is_multipart()}
    assert set(parts) == {"text/plain", "text/html", "text/calendar"}
    assert parsed.get_content_type() == "multipart/alternative"
    calendar_part = parts["text/calendar"]
    return parsed, Calendar.from_ical(calendar_part.get_content()), calendar_part["Content-Type"]


def by_recipient() -> dict[str, tuple]:
    return {m.to[0]: parse(m) for m in mail.outbox}


def check_event(cal: Calendar, *, method: str, sequence: int, tzid: str, interview: Interview, status: str):
    assert cal["METHOD"] == method
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == interview.uid
    assert event["SEQUENCE"] == sequence
    assert event["STATUS"] == status
    assert "DTSTAMP" in event
    assert event["DTSTART"].params["TZID"] == tzid
    assert event.decoded("DTSTART") == interview.start and event.decoded("DTEND") == interview.end
    assert event.decoded("DTSTART").tzinfo is not None
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [tzid]
    assert str(event["ORGANIZER"]) == "mailto:interviews@example.com"
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert sorted(str(a) for a in attendees) == ["mailto:cand@example.com", "mailto:int@example.com"]
    for attendee in attendees:
        assert attendee.params["CN"] and attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION" and attendee.params["RSVP"] == "TRUE"
    assert str(event["SUMMARY"]) == "Backend interview"
    assert "Cara Candidate" in str(event["DESCRIPTION"])


def test_book_reschedule_cancel_send_matching_invites(hr_client, candidate, interviewer, setup,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        interview_id = book(hr_client, candidate, [interviewer], 10, title="Backend interview").json()["id"]
    interview = Interview.objects.get(pk=interview_id)
    sent = by_recipient()
    assert set(sent) == {"cand@example.com", "int@example.com"}
    _, cal, content_type = sent["cand@example.com"]
    assert "method=REQUEST" in content_type.replace('"', "")
    check_event(cal, method="REQUEST", sequence=0, tzid="Asia/Kolkata", interview=interview, status="CONFIRMED")
    _, cal, _ = sent["int@example.com"]
    check_event(cal, method="REQUEST", sequence=0, tzid="America/New_York", interview=interview, status="CONFIRMED")
    assert sent["cand@example.com"][0]["Subject"].startswith("Invitation: Backend interview")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        hr_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json")
    interview.refresh_from_db()
    sent = by_recipient()
    assert set(sent) == {"cand@example.com", "int@example.com"}
    _, cal, content_type = sent["int@example.com"]
    assert "method=REQUEST" in content_type.replace('"', "")
    check_event(cal, method="REQUEST", sequence=1, tzid="America/New_York", interview=interview, status="CONFIRMED")
    assert sent["int@example.com"][0]["Subject"].startswith("Updated:")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        hr_client.post(f"/api/v1/interviews/{interview_id}/cancel")
    interview.refresh_from_db()
    sent = by_recipient()
    _, cal, content_type = sent["cand@example.com"]
    assert "method=CANCEL" in content_type.replace('"', "")
    check_event(cal, method="CANCEL", sequence=2, tzid="Asia/Kolkata", interview=interview, status="CANCELLED")
    assert InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 6


def test_invite_ics_endpoint_serves_the_current_invite(hr_client, candidate_client, candidate, interviewer, setup):
    interview_id = book(hr_client, candidate, [interviewer], 10, title="Backend interview").json()["id"]
    r = candidate_client.get(f"/api/v1/interviews/{interview_id}/invite.ics")
    assert r["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    interview = Interview.objects.get(pk=interview_id)
    check_event(cal, method="REQUEST", sequence=0, tzid="Asia/Kolkata", interview=interview, status="CONFIRMED")
    hr_client.post(f"/api/v1/interviews/{interview_id}/cancel")
    r = candidate_client.get(f"/api/v1/interviews/{interview_id}/invite.ics", HTTP_ACCEPT="text/calendar")
    assert Calendar.from_ical(r.content)["METHOD"] == "CANCEL"


def test_a_failed_send_keeps_the_booking_and_is_retried(hr_client, candidate, interviewer, setup, settings,
                                                        django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.scheduling.failing_mail.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        r = book(hr_client, candidate, [interviewer], 10)
    assert r.status_code == 201
    assert Interview.objects.count() == 1
    pending = InviteDelivery.objects.filter(status=DeliveryStatus.PENDING)
    assert pending.count() == 2 and all("SMTP is down" in d.last_error for d in pending)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert invites_retry_pending() == 2
    assert InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert len(mail.outbox) == 2
    assert invites_retry_pending() == 0  # sending twice is harmless: nothing left to send


def test_an_invite_overtaken_by_a_change_is_not_sent(hr_client, candidate, interviewer, setup):
    interview_id = book(hr_client, candidate, [interviewer], 10).json()["id"]  # on-commit not run: still pending
    hr_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json")
    assert invites_retry_pending() == 4
    statuses = sorted(InviteDelivery.objects.values_list("sequence", "status"))
    assert statuses == [(0, "superseded"), (0, "superseded"), (1, "sent"), (1, "sent")]
    assert len(mail.outbox) == 2


def test_a_title_with_line_breaks_still_sends(hr_client, candidate, interviewer, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = book(hr_client, candidate, [interviewer], 10, title="Backend\r\nBcc: attacker@example.com")
    assert r.status_code == 201
    assert len(mail.outbox) == 2 and all(m.bcc == [] for m in mail.outbox)
    parsed, cal, _ = parse(mail.outbox[0])
    assert "\n" not in parsed["Subject"] and "Bcc" not in parsed
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "Backend Bcc: attacker@example.com"
