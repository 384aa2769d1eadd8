"""The feed from the cache: byte for byte the feed written afresh, never stale, constant queries; the HR bound."""

from datetime import timedelta

import pytest
import vobject
from django.core.cache import cache
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection
from icalendar import Calendar

import feeds.calendar
import feeds.selectors
from core.cache_backends import CacheUnavailable
from core.feed_tokens import feed_path
from core.services import user_update
from core.timezones import get_zone
from feeds.calendar import feed_calendar
from scheduling.models import Interview, InterviewStatus
from scheduling.services import interview_cancel
from tests.dates import at, today
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.scheduling.helpers import book, free, iso

pytestmark = pytest.mark.django_db


def poll(user, **headers):
    response = Client().get(feed_path(user), **headers)
    assert response.status_code in (200, 304), response.content
    return response


def fresh(user) -> bytes:
    """The feed written from scratch by feed_calendar, from the interviews the feed holds now."""
    pks = [entry.pk for entry in feeds.selectors.feed_entries(user)]
    interviews = Interview.objects.filter(pk__in=pks).select_related("candidate").prefetch_related("interviewers")
    tz = get_zone(user.timezone)
    return feed_calendar(user, list(interviews.order_by("start", "pk")), tz=tz).to_ical()


def make(candidate, panel, day_offset, hour=10, title="", minutes=45, **fields):
    start = at(today() + timedelta(days=day_offset), hour)
    interview = Interview.objects.create(candidate=candidate, title=title, start=start,
                                         end=start + timedelta(minutes=minutes), **fields)
    interview.interviewers.set(panel)
    return interview


@pytest.fixture
def people(db):
    return {"candidate": CandidateFactory(name="Cara Candidate"), "ann": InterviewerFactory(name="Ann Panel"),
            "bob": InterviewerFactory(name="Bob Panel")}


@pytest.fixture
def some_interviews(people):
    candidate, ann, bob = people["candidate"], people["ann"], people["bob"]
    made = [make(candidate, [ann, bob], day, title=f"Round {day}") for day in (-20, -1, 2, 40, 200, 500)]
    made.append(make(candidate, [bob], 3, hour=14, title="Line one\nline two; with, commas"))
    gone = make(candidate, [ann], 5, hour=15, title="Called off")
    interview_cancel(interview=gone, reason="The role was filled")
    return made


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kolkata"])
def test_the_feed_from_the_cache_is_byte_for_byte_the_feed_written_afresh(people, some_interviews, zone):
    for who in ("candidate", "ann"):
        user = people[who]
        user.timezone = zone
        user.save()
        expected = fresh(user)
        cold, warm = poll(user), poll(user)
        assert cold.content == expected and warm.content == expected
        cache.clear()
        assert poll(user).content == expected  # written again: the same bytes (the calendar's UID too)
        # and every parser still reads it
        assert len(Calendar.from_ical(warm.content).walk("VEVENT")) == expected.count(b"BEGIN:VEVENT") > 0
        assert len(vobject.readOne(warm.content.decode()).vevent_list) == expected.count(b"BEGIN:VEVENT")


def test_an_empty_feed(people):
    response = poll(people["candidate"])
    assert response.content == fresh(people["candidate"]) and b"BEGIN:VEVENT" not in response.content
    assert poll(people["candidate"]).content == response.content


class CountingEvents:
    def __init__(self, monkeypatch):
        self.written = []
        real = feeds.calendar.interview_event
        monkeypatch.setattr(feeds.calendar, "interview_event", lambda interview, **kw: (
            self.written.append(interview.pk), real(interview, **kw))[1])


def test_a_poll_writes_only_the_events_that_changed(people, some_interviews, monkeypatch):
    user = people["ann"]
    counting = CountingEvents(monkeypatch)
    first = poll(user)
    assert sorted(counting.written) == sorted(e.pk for e in feeds.selectors.feed_entries(user))
    counting.written.clear()
    assert poll(user).content == first.content and counting.written == []
    moved = some_interviews[2]
    Interview.objects.filter(pk=moved.pk).update(start=moved.start + timedelta(hours=1),
                                                  end=moved.end + timedelta(hours=1), sequence=1)
    changed = poll(user, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert counting.written == [moved.pk] and changed.content == fresh(user)


def _reschedule(client, interview, people):
    r = client.patch(f"/api/v1/interviews/{interview}/", {"start": iso(15)}, format="json")
    assert r.status_code == 200, r.content
    return b"SEQUENCE:1"


def _cancel(client, interview, people):
    assert client.post(f"/api/v1/interviews/{interview}/cancel", {"reason": "Clash"}, format="json").status_code == 200
    return b"STATUS:CANCELLED"


def _retitle(client, interview, people):
    assert client.patch(f"/api/v1/interviews/{interview}/", {"title": "Final round"}, format="json").status_code == 200
    return b"SUMMARY:Final round"


def _panel_change(client, interview, people):
    body = {"interviewers": [people["bob"].pk]}
    assert client.patch(f"/api/v1/interviews/{interview}/", body, format="json").status_code == 200
    return b'CN="Bob Panel"'


def _candidate_renamed(client, interview, people):
    user_update(user=people["candidate"], name="Cara Renamed")  # the interview itself is not written
    return b'CN="Cara Renamed"'


def _interviewer_address_changed(client, interview, people):
    # even a write that no signal sees (a bulk update, the shell) shows in the next poll
    type(people["ann"]).objects.filter(pk=people["ann"].pk).update(email="ann.new@example.com")
    return b"mailto:ann.new@example.com"


@pytest.mark.parametrize("change", [_reschedule, _cancel, _retitle, _panel_change, _candidate_renamed,
                                    _interviewer_address_changed], ids=lambda f: f.__name__.strip("_"))
def test_a_change_shows_in_the_next_poll(hr_client, hr, people, change):
    candidate, ann, bob = people["candidate"], people["ann"], people["bob"]
    for person in (candidate, ann, bob):
        free(person, 9, 17)
    interview = book(hr_client, candidate, [ann], 10, title="First round").json()["id"]
    for user in (candidate, ann, hr):
        poll(user)  # the cache now holds every feed
    before = {user.pk: poll(user) for user in (candidate, ann, hr)}
    shows = change(hr_client, interview, people)
    for user in (candidate, ann, hr):
        user.refresh_from_db()
        after = poll(user, HTTP_IF_NONE_MATCH=before[user.pk]["ETag"])
        if user == ann and change is _panel_change:  # off the panel: the interview leaves her feed
            assert after.status_code == 200 and b"BEGIN:VEVENT" not in after.content
            continue
        assert after.status_code == 200 and after["ETag"] != before[user.pk]["ETag"]
        assert shows in after.content.replace(b"\r\n ", b"") and after.content == fresh(user)
        assert poll(user, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_the_feed_queries_do_not_grow_with_its_size(django_assert_max_num_queries):
    counts = {}
    for size in (5, 50):
        candidate, panel = CandidateFactory(), [InterviewerFactory(), InterviewerFactory()]
        for n in range(size):
            make(candidate, panel, 1 + n, hour=8 + n % 8)
        for person in panel:
            poll(person)  # other feeds' entries in the cache change nothing
        with CaptureQueriesContext(connection) as cold:
            assert poll(candidate).content.count(b"BEGIN:VEVENT") == size
        with CaptureQueriesContext(connection) as warm:
            poll(candidate)
        make(candidate, panel, 1, hour=20)
        with django_assert_max_num_queries(6):  # the token, the entries (3), the one new event (2)
            poll(candidate)
        counts[size] = (len(cold), len(warm))
    assert counts[5] == counts[50], counts


def test_the_hr_feed_is_bounded_ahead_and_capped_upcoming_first(people, monkeypatch):
    candidate, ann = people["candidate"], people["ann"]
    hr = HRFactory()
    past = [make(candidate, [ann], day) for day in (-30, -10, -2)]
    upcoming = [make(candidate, [ann], day) for day in (1, 2, 3)]
    far = make(candidate, [ann], 400)

    def uids(user):
        return [str(e["UID"]) for e in Calendar.from_ical(poll(user).content).walk("VEVENT")]

    everything = [i.uid for i in [*past, *upcoming]]
    assert uids(hr) == everything  # in order of start; not the one 400 days ahead
    assert uids(candidate) == [*everything, far.uid]  # a person's own feed has no limit ahead
    monkeypatch.setattr(feeds.selectors, "MAX_EVENTS", 5)
    cache.clear()
    assert uids(hr) == [i.uid for i in [*past[1:], *upcoming]]  # the upcoming ones, then the latest past ones
    monkeypatch.setattr(feeds.selectors, "MAX_EVENTS", 2)
    assert uids(hr) == [i.uid for i in upcoming[:2]]  # the soonest
    assert uids(candidate) == [i.uid for i in upcoming[:2]]  # the cap is everyone's


def test_cancelled_interviews_stay_thirty_days_after_cancelling(people):
    candidate, ann = people["candidate"], people["ann"]
    kept = make(candidate, [ann], 10, status=InterviewStatus.CANCELLED, cancelled_at=at(today() - timedelta(days=29)))
    make(candidate, [ann], 11, status=InterviewStatus.CANCELLED, cancelled_at=at(today() - timedelta(days=31)))
    assert [str(e["UID"]) for e in Calendar.from_ical(poll(candidate).content).walk("VEVENT")] == [kept.uid]


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise CacheUnavailable("down")
        return fail


def test_with_the_cache_down_the_feed_is_written_afresh(people, some_interviews, monkeypatch):
    user = people["candidate"]
    expected = fresh(user)
    monkeypatch.setattr(feeds.calendar, "cache", BrokenCache())
    first = poll(user)
    assert first.content == expected
    assert poll(user, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_calendar_uid_is_kept_until_the_address_is_rotated(candidate_client, candidate, some_interviews):
    def uid():
        cache.clear()
        return str(Calendar.from_ical(poll(candidate).content)["UID"])

    first = uid()
    assert uid() == first
    candidate_client.post("/api/v1/me/feed/rotate")
    candidate.refresh_from_db()
    assert uid() != first


def test_an_interview_changed_while_the_feed_is_written_is_served_as_it_is_now(people, some_interviews, monkeypatch):
    user = people["candidate"]
    poll(user)
    moved, gone = some_interviews[3], some_interviews[4]
    Interview.objects.filter(pk=moved.pk).update(sequence=5)  # the next poll must write this one
    real = feeds.calendar.feed_interviews_by_pk

    def a_write_in_between(pks):
        assert pks == [moved.pk]
        Interview.objects.filter(pk=moved.pk).update(sequence=6)
        return real(pks)

    monkeypatch.setattr(feeds.calendar, "feed_interviews_by_pk", a_write_in_between)
    served = poll(user)
    assert b"SEQUENCE:6" in served.content and b"SEQUENCE:5" not in served.content
    counting = CountingEvents(monkeypatch)
    again = poll(user, HTTP_IF_NONE_MATCH=served["ETag"])  # the ETag named the state with SEQUENCE 5
    assert again.status_code == 200 and counting.written == []  # kept under the key of what it was written from
    assert again.content == served.content == fresh(user)
    Interview.objects.filter(pk=moved.pk).update(sequence=7)
    monkeypatch.setattr(feeds.calendar, "feed_interviews_by_pk", lambda pks: real([]))  # deleted in between
    assert gone.uid.encode() in served.content and moved.uid.encode() not in poll(user).content
