from datetime import timezone

import pytest
import vobject
from django.test import Client
from icalendar import Calendar

from scheduling.models import Interview
from tests.factories import CandidateFactory
from tests.scheduling.helpers import book, free
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
UTC = timezone.utc


@pytest.fixture
def interviews(hr_client, candidate, interviewer):
    other = CandidateFactory(email="other@example.com")
    for person in (candidate, interviewer, other):
        free(person, 9, 17)
    mine = book(hr_client, candidate, [interviewer], 9, title="Mine").json()["id"]
    cancelled = book(hr_client, candidate, [interviewer], 11, title="Called off").json()["id"]
    hr_client.post(f"/api/v1/interviews/{cancelled}/cancel")
    theirs = book(hr_client, other, [interviewer], 14, title="Someone else's").json()["id"]
    return {"mine": mine, "cancelled": cancelled, "theirs": theirs}


def feed(client_with_token, **headers):
    url = client_with_token.get("/api/v1/me").json()["feed_url"]
    return url, Client().get(url.removeprefix("http://testserver"), **headers)


def events_by_uid(content: bytes) -> dict:
    return {str(e["UID"]): e for e in Calendar.from_ical(content).walk("VEVENT")}


def test_feed_holds_exactly_the_users_interviews(candidate_client, candidate, interviews):
    candidate.timezone = "Asia/Kolkata"
    candidate.save()
    url, r = feed(candidate_client)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    events = events_by_uid(r.content)
    mine, cancelled = Interview.objects.get(pk=interviews["mine"]), Interview.objects.get(pk=interviews["cancelled"])
    assert set(events) == {mine.uid, cancelled.uid}
    assert events[mine.uid]["SEQUENCE"] == 0 and events[mine.uid]["STATUS"] == "CONFIRMED"
    assert events[cancelled.uid]["SEQUENCE"] == 1 and events[cancelled.uid]["STATUS"] == "CANCELLED"
    assert events[mine.uid].decoded("DTSTART") == mine.start
    assert events[mine.uid]["DTSTART"].params["TZID"] == "Asia/Kolkata"
    cal = Calendar.from_ical(r.content)
    assert "METHOD" not in cal and [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Kolkata"]


def test_interviewer_and_hr_feeds(interviewer_client, hr_client, interviews):
    _, r = feed(interviewer_client)
    assert len(events_by_uid(r.content)) == 3
    _, r = feed(hr_client)
    assert len(events_by_uid(r.content)) == 3


def test_feed_uses_the_same_uid_and_sequence_as_the_invite(candidate_client, interviews):
    invite = Calendar.from_ical(candidate_client.get(f"/api/v1/interviews/{interviews['mine']}/invite.ics").content)
    _, r = feed(candidate_client)
    (invite_event,) = invite.walk("VEVENT")
    feed_event = events_by_uid(r.content)[str(invite_event["UID"])]
    assert feed_event["SEQUENCE"] == invite_event["SEQUENCE"]


def test_a_second_parser_reads_the_feed_with_the_same_times(candidate_client, candidate, interviews):
    candidate.timezone = "America/New_York"
    candidate.save()
    _, r = feed(candidate_client)
    parsed = vobject.readOne(r.content.decode())
    summaries = sorted(str(e.summary.value) for e in parsed.vevent_list)
    assert summaries == ["Called off", "Mine"]
    read = {str(e.uid.value): (e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC))
            for e in parsed.vevent_list}
    stored = {i.uid: (i.start, i.end) for i in Interview.objects.filter(pk__in=[interviews["mine"], interviews["cancelled"]])}
    assert read == stored
    assert r.content.count(b"DTSTART;TZID=America/New_York:") == 2


def test_etag_and_304(candidate_client, hr_client, interviews):
    _, first = feed(candidate_client)
    etag = first["ETag"]
    _, again = feed(candidate_client, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    hr_client.patch(f"/api/v1/interviews/{interviews['mine']}/", {"start": (Interview.objects.get(
        pk=interviews["mine"]).start.replace(hour=15)).isoformat()}, format="json")
    _, changed = feed(candidate_client, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_rotation_retires_the_old_address(candidate_client, interviews):
    old_url, _ = feed(candidate_client)
    r = candidate_client.post("/api/v1/me/feed/rotate")
    assert r.status_code == 200 and r.json()["feed_url"] != old_url
    assert_error(Client().get(old_url.removeprefix("http://testserver")), 404, "not_found")
    assert Client().get(r.json()["feed_url"].removeprefix("http://testserver")).status_code == 200
    assert candidate_client.get("/api/v1/me").json()["feed_url"] == r.json()["feed_url"]


@pytest.mark.parametrize("token", ["nope", "0" * 64, "x" * 500])
def test_unknown_feed_tokens_are_404(token, db):
    assert_error(Client().get(f"/feeds/{token}.ics"), 404, "not_found")
