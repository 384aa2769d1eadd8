"""What a booking costs: its queries (bounded, and none for calendars nobody connected), one task handed to
the broker, and the worker's side: every invite of the booking over one SMTP connection."""

from email import message_from_bytes

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from integrations.models import CalDAVConnection
from scheduling import tasks
from scheduling.models import DeliveryStatus, Interview, InviteDelivery
from slots.models import AvailabilityWindow
from tests.factories import InterviewerFactory
from tests.ops.smtp_sink import smtp_sink
from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db

# The booking's transaction adds two statements of its own: SAVEPOINT and RELEASE inside a test's transaction,
# BEGIN IMMEDIATE and COMMIT on SQLite outside one (PostgreSQL's BEGIN and COMMIT are not counted).
_TRANSACTION = 2
_CONTROL = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")


def _work(captured) -> list[str]:
    """The queries that do the booking's work (not the transaction's own statements)."""
    return [q["sql"] for q in captured if not q["sql"].startswith(_CONTROL)]


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("scheduling.services.async_task", lambda *args, **kwargs: calls.append(args))
    return calls


@pytest.fixture
def book_now(hr_client, candidate, panel, django_capture_on_commit_callbacks):
    """Book at this hour and run what the commit hands on (the broker call, recorded by ``queued``)."""
    def book_at(hour):
        with django_capture_on_commit_callbacks(execute=True):
            assert book(hr_client, candidate, panel, hour).status_code == 201
    return book_at


@pytest.fixture
def panel(candidate, interviewer):
    second = InterviewerFactory()
    for person in (candidate, interviewer, second):
        free(person, 0, 23)
    return [interviewer, second]


def _provider_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if "connection" in q["sql"].lower()]


def test_a_booking_runs_at_most_10_queries_and_hands_the_broker_one_task(
        hr_client, candidate, panel, queued, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    assert book(hr_client, candidate, panel, 1).status_code == 201  # warms the token and the calendar flags
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with django_assert_max_num_queries(10 + _TRANSACTION) as captured:
            r = book(hr_client, candidate, panel, 3)
    assert r.status_code == 201, r.content
    assert len(_work(captured.captured_queries)) <= 10
    assert _provider_queries(captured.captured_queries) == []  # nobody here connected a calendar
    interview = Interview.objects.get(pk=r.json()["id"])
    deliveries = sorted(InviteDelivery.objects.filter(interview=interview).values_list("pk", flat=True))
    people = [candidate.pk, *(i.pk for i in panel)]
    assert queued == [("scheduling.tasks.interview_changed", interview.pk, deliveries, people[1:])]  # one call


def test_queries_do_not_grow_with_a_year_of_data(hr_client, candidate, panel, queued, django_assert_max_num_queries):
    for person in (candidate, *panel):
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(user=person, start=at(9, day=d), end=at(11, day=d)) for d in range(2, 367))
    assert book(hr_client, candidate, panel, 1).status_code == 201
    with django_assert_max_num_queries(10 + _TRANSACTION) as captured:
        assert book(hr_client, candidate, panel, 5).status_code == 201
    assert len(_work(captured.captured_queries)) <= 10


def test_a_newly_connected_calendar_is_synced_before_the_next_booking(hr_client, candidate, panel, queued,
                                                                       monkeypatch):
    """The cached "has no calendar" answer is forgotten when a connection is written."""
    synced = []
    monkeypatch.setattr("integrations.caldav.services.CalDAVProvider.sync",
                        lambda self, *, user_id, deadline: synced.append(user_id) or "synced")
    assert book(hr_client, candidate, panel, 1).status_code == 201
    assert synced == []
    CalDAVConnection.objects.create(user=panel[0], url="https://caldav.example.com/", username="ann")
    with CaptureQueriesContext(connection) as captured:
        assert book(hr_client, candidate, panel, 3).status_code == 201
    assert synced == [panel[0].pk]
    assert _provider_queries(captured.captured_queries)  # now it asks
    CalDAVConnection.objects.filter(user=panel[0]).delete()
    synced.clear()
    assert book(hr_client, candidate, panel, 5).status_code == 201
    assert synced == []


def test_the_worker_sends_a_bookings_invites_over_one_smtp_connection(candidate, panel, queued, book_now, settings):
    book_now(3)
    (name, interview_id, delivery_ids, interviewer_ids), = queued
    with smtp_sink() as (port, sink):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        result = tasks.interview_changed(interview_id, delivery_ids, interviewer_ids)
        again = tasks.interview_changed(interview_id, delivery_ids, interviewer_ids)  # a task delivered twice
    assert result == {"invites": dict.fromkeys(delivery_ids, "sent"), "calendars": []}
    assert again["invites"] == dict.fromkeys(delivery_ids, "not pending")
    assert sink.connections == 1 and len(sink.messages) == 3
    recipients = set()
    for raw in sink.messages:
        message = message_from_bytes(raw)
        recipients.add(message["To"])
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
        assert event["UID"] == Interview.objects.get(pk=interview_id).uid
    assert recipients == {candidate.email, *(i.email for i in panel)}
    assert InviteDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 3


def test_a_refused_recipient_stays_pending_and_the_rest_are_sent(candidate, panel, queued, book_now, monkeypatch):
    from django.core import mail

    book_now(3)
    (_, interview_id, delivery_ids, interviewer_ids), = queued
    real = mail.EmailMultiAlternatives.send

    def refuse_the_candidate(message, *args, **kwargs):
        if message.to == [candidate.email]:
            raise OSError("550 mailbox unavailable")
        return real(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", refuse_the_candidate)
    result = tasks.interview_changed(interview_id, delivery_ids, interviewer_ids)
    assert sorted(result["invites"].values()) == ["failed", "sent", "sent"]
    failed = InviteDelivery.objects.get(recipient=candidate)
    assert failed.status == DeliveryStatus.PENDING and "550" in failed.last_error and failed.claimed_at is None
    assert len(mail.outbox) == 2


def test_an_unreachable_smtp_server_leaves_every_invite_pending(queued, book_now, settings):
    book_now(3)
    (_, interview_id, delivery_ids, interviewer_ids), = queued
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    result = tasks.interview_changed(interview_id, delivery_ids, interviewer_ids)
    assert set(result["invites"].values()) == {"failed"}
    assert InviteDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts=1).count() == 3


def test_the_calendar_blocks_are_queued_by_the_worker_for_connected_interviewers(
        panel, queued, book_now, monkeypatch):
    CalDAVConnection.objects.create(user=panel[1], url="https://caldav.example.com/", username="bob")
    monkeypatch.setattr("integrations.caldav.services.CalDAVProvider.sync",
                        lambda self, *, user_id, deadline: "synced")
    pushes = []
    monkeypatch.setattr("scheduling.calendar_push.async_task", lambda *args: pushes.append(args))
    book_now(3)
    (_, interview_id, delivery_ids, interviewer_ids), = queued
    result = tasks.interview_changed(interview_id, delivery_ids, interviewer_ids)
    assert result["calendars"] == [f"caldav:{panel[1].pk}"]
    assert pushes == [("scheduling.tasks.push_busy_block", interview_id, panel[1].pk, "caldav")]
