"""Scheduling links: every row of API.md's "Scheduling links (candidate self-scheduling)"."""

import hashlib
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from links.models import SchedulingLink
from scheduling.models import Interview
from tests.conftest import assert_error, client_for
from tests.factories import CandidateFactory, InterviewerFactory
from tests.links.helpers import assert_nothing_private, make_link, public
from tests.scheduling.helpers import at, book, free, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_free(candidate, interviewer):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- HR: create, list, show, revoke -----------------------------------------------------------------


def test_create_with_the_defaults(hr_client, candidate, interviewer):
    before = datetime.now(dt_timezone.utc)
    r = hr_client.post("/api/v1/scheduling-links/", {"candidate": candidate.pk, "interviewers": [interviewer.pk]},
                       format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"id", "token", "url", "status", "candidate", "interviewers", "duration", "start", "end",
            "expires_at", "interview"} <= set(body)
    assert body["status"] == "open" and body["interview"] is None
    assert body["candidate"] == candidate.pk and body["interviewers"] == [interviewer.pk]
    assert body["duration"] == 60 and body["step"] == 30
    start, end = parse(body["start"]), parse(body["end"])
    assert before <= start <= datetime.now(dt_timezone.utc)
    assert end - start == timedelta(days=14)
    assert body["expires_at"] == body["end"]
    assert body["url"] == f"http://testserver/book/{body['token']}"
    # at least 128 bits, stored only as a hash
    assert len(body["token"]) * 6 >= 128 + 64
    row = SchedulingLink.objects.get(pk=body["id"])
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in {str(v) for v in SchedulingLink.objects.values().get(pk=body["id"]).values()}


def test_tokens_differ(hr_client, candidate, interviewer):
    tokens = {make_link(hr_client, candidate, [interviewer])["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_create_with_everything(hr_client, candidate, interviewer):
    body = make_link(hr_client, candidate, [interviewer], duration=45, step=15, title="Backend panel",
                     expires_at=at(12).isoformat(), timezone="Asia/Kolkata")
    assert (body["duration"], body["step"], body["title"], body["timezone"]) == (45, 15, "Backend panel", "Asia/Kolkata")
    assert parse(body["expires_at"]) == at(12)
    assert parse(body["start"]) == at(0) and parse(body["end"]) == at(0, day=2)


@pytest.mark.parametrize("extra, field", [
    ({"end": at(0, day=61).isoformat()}, "end"),                      # more than 60 days
    ({"start": at(0, day=1).isoformat(), "end": at(0).isoformat()}, "end"),  # not after start
    ({"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}, "end"),  # in the past
    ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
    ({"duration": 10}, "duration"),
    ({"duration": 481}, "duration"),
    ({"step": 4}, "step"),
    ({"pool_size": 1}, "pool_size"),                                  # no pool
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"interviewers": []}, "interviewers"),
    ({"start": "not a date"}, "start"),
    ({"title": "x" * 201}, "title"),
])
def test_create_refuses_bad_input(hr_client, candidate, interviewer, extra, field):
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk], **extra}
    error = assert_error(hr_client.post("/api/v1/scheduling-links/", body, format="json"), 400, "validation_error")
    assert field in error["fields"]


def test_create_checks_people(hr_client, candidate, interviewer):
    url = "/api/v1/scheduling-links/"
    assert_error(hr_client.post(url, {"candidate": 999999, "interviewers": [interviewer.pk]}, format="json"),
                 404, "not_found")
    assert_error(hr_client.post(url, {"candidate": interviewer.pk, "interviewers": [interviewer.pk]}, format="json"),
                 400, "validation_error")
    assert_error(hr_client.post(url, {"candidate": candidate.pk, "interviewers": [candidate.pk]}, format="json"),
                 400, "validation_error")
    other = InterviewerFactory()
    error = assert_error(hr_client.post(url, {"candidate": candidate.pk, "interviewers": [interviewer.pk],
                                              "pool": [interviewer.pk, other.pk]}, format="json"),
                         400, "validation_error")
    assert "pool" in error["fields"]
    error = assert_error(hr_client.post(url, {"candidate": candidate.pk, "interviewers": [interviewer.pk],
                                              "pool": [other.pk], "pool_size": 2}, format="json"),
                         400, "validation_error")
    assert "pool_size" in error["fields"]


def test_only_hr(candidate_client, interviewer_client, anon_client, hr_client, candidate, interviewer):
    link = make_link(hr_client, candidate, [interviewer])
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk]}
    for client in (candidate_client, interviewer_client):
        assert_error(client.post("/api/v1/scheduling-links/", body, format="json"), 403, "permission_denied")
        assert_error(client.get("/api/v1/scheduling-links/"), 403, "permission_denied")
        assert_error(client.get(f"/api/v1/scheduling-links/{link['id']}/"), 403, "permission_denied")
        assert_error(client.post(f"/api/v1/scheduling-links/{link['id']}/revoke"), 403, "permission_denied")
    assert_error(anon_client.get("/api/v1/scheduling-links/"), 401, "not_authenticated")


def test_show_and_revoke(hr_client, anon_client, candidate, interviewer):
    link = make_link(hr_client, candidate, [interviewer])
    shown = hr_client.get(f"/api/v1/scheduling-links/{link['id']}/").json()
    assert shown["token"] == link["token"] and shown["status"] == "open"
    assert_error(hr_client.get("/api/v1/scheduling-links/999999/"), 404, "not_found")
    r = hr_client.post(f"/api/v1/scheduling-links/{link['id']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert hr_client.post(f"/api/v1/scheduling-links/{link['id']}/revoke").json()["status"] == "revoked"
    error = assert_error(anon_client.get(public(link["token"])), 410, "gone")
    assert "revoked" in error["message"]
    assert_error(anon_client.post(public(link["token"]) + "/book", {"start": iso(10)}, format="json"), 410, "gone")
    assert_error(anon_client.post(public(link["token"]) + "/cancel"), 410, "gone")
    assert_error(anon_client.post(public(link["token"]) + "/reschedule", {"start": iso(10)}, format="json"), 410, "gone")


def test_list_by_status(hr_client, anon_client, candidate, interviewer, both_free):
    opened = make_link(hr_client, candidate, [interviewer])
    revoked = make_link(hr_client, candidate, [interviewer])
    hr_client.post(f"/api/v1/scheduling-links/{revoked['id']}/revoke")
    booked = make_link(hr_client, candidate, [interviewer])
    assert anon_client.post(public(booked["token"]) + "/book", {"start": iso(10)}, format="json").status_code == 201
    expired = make_link(hr_client, candidate, [interviewer])
    SchedulingLink.objects.filter(pk=expired["id"]).update(expires_at=datetime.now(dt_timezone.utc))

    def ids(query=""):
        r = hr_client.get(f"/api/v1/scheduling-links/{query}")
        assert r.status_code == 200, r.content
        return [(item["id"], item["status"]) for item in r.json()]

    assert ids() == [(opened["id"], "open"), (revoked["id"], "revoked"), (booked["id"], "booked"),
                     (expired["id"], "expired")]
    for item_id, status in ids():
        assert ids(f"?status={status}") == [(item_id, status)]
    assert_error(hr_client.get("/api/v1/scheduling-links/?status=nope"), 400, "validation_error")
    booked_row = hr_client.get(f"/api/v1/scheduling-links/{booked['id']}/").json()
    assert booked_row["interview"]["status"] == "scheduled" and booked_row["interview"]["start"] == iso(10)


def test_list_pages_with_a_link_header(hr_client, candidate, interviewer):
    made = [make_link(hr_client, candidate, [interviewer])["id"] for _ in range(3)]
    r = hr_client.get("/api/v1/scheduling-links/?page_size=2")
    assert [item["id"] for item in r.json()] == made[:2]
    next_url = r["Link"].split(";")[0].strip("<>")
    assert r["Link"].endswith('rel="next"')
    r = hr_client.get(next_url.replace("http://testserver", ""))
    assert [item["id"] for item in r.json()] == made[2:] and "Link" not in r
    assert_error(hr_client.get("/api/v1/scheduling-links/?page_size=0"), 400, "validation_error")
    assert_error(hr_client.get("/api/v1/scheduling-links/?after=x"), 400, "validation_error")


# --- public -----------------------------------------------------------------------------------------


def test_unknown_token_is_404(anon_client):
    for token in ["x" * 43, "short", "A" * 43, "%00"]:
        assert_error(anon_client.get(public(token)), 404, "not_found")
        assert_error(anon_client.post(public(token) + "/book", {"start": iso(10)}, format="json"), 404, "not_found")


def test_expired_is_410(hr_client, anon_client, candidate, interviewer):
    link = make_link(hr_client, candidate, [interviewer], expires_at=at(0, day=-9).isoformat())
    assert anon_client.get(public(link["token"])).status_code == 200
    with time_machine.travel(at(0, day=-9) + timedelta(seconds=1)):
        error = assert_error(anon_client.get(public(link["token"])), 410, "gone")
    assert "expired" in error["message"]


def hr_slots(hr_client, candidate, interviewers, tz, step=30, duration=60):
    query = "&".join(f"interviewer={i.pk}" for i in interviewers)
    start, end = at(0).isoformat().replace("+00:00", "Z"), at(0, day=2).isoformat().replace("+00:00", "Z")
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&{query}&start={start}&end={end}"
                      f"&tz={tz}&step={step}&duration={duration}")
    return r.json()["slots"]


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata", "America/New_York", "Asia/Kathmandu"])
def test_public_slots_are_the_matchers(hr_client, anon_client, candidate, interviewer, tz):
    second = InterviewerFactory(name="Second")
    free(candidate, 8, 16)
    free(interviewer, 9, 13)
    free(interviewer, 14, 18)
    free(second, 7, 15, day=0)
    free(candidate, 9, 12, day=1)
    free(interviewer, 9, 12, day=1)
    free(second, 9, 12, day=1)
    link = make_link(hr_client, candidate, [interviewer, second], step=45, duration=45)
    r = anon_client.get(public(link["token"]) + f"?tz={tz}")
    assert r.status_code == 200, r.content
    body = r.json()
    expected = hr_slots(hr_client, candidate, [interviewer, second], tz, step=45, duration=45)
    assert body["slots"] == expected and len(expected) > 3
    assert body["timezone"] == tz and body["status"] == "open" and body["interview"] is None
    assert body["duration"] == 45 and body["title"] == "Interview"
    assert body["interviewers"] == [{"name": "Ivan Interviewer"}, {"name": "Second"}]
    assert_nothing_private(body, [candidate, interviewer, second])


def test_public_defaults_to_the_links_zone_and_refuses_unknown_zones(hr_client, anon_client, candidate, interviewer,
                                                                     both_free):
    link = make_link(hr_client, candidate, [interviewer], timezone="Asia/Kolkata")
    body = anon_client.get(public(link["token"])).json()
    assert body["timezone"] == "Asia/Kolkata" and body["slots"][0]["start"].endswith("+05:30")
    assert_error(anon_client.get(public(link["token"]) + "?tz=Nowhere/Else"), 400, "validation_error")


def test_slots_are_live(hr_client, anon_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    starts = [s["start"] for s in anon_client.get(public(link["token"]) + "?tz=UTC").json()["slots"]]
    assert iso(10) in starts
    other = CandidateFactory()
    free(other, 9, 13)
    assert book(hr_client, other, [interviewer], 10).status_code == 201
    starts = [s["start"] for s in anon_client.get(public(link["token"]) + "?tz=UTC").json()["slots"]]
    assert iso(9, 30) not in starts and iso(10) not in starts and iso(10, 30) not in starts
    assert iso(9) in starts and iso(11) in starts


def test_book(hr_client, anon_client, candidate, interviewer, both_free, django_capture_on_commit_callbacks):
    link = make_link(hr_client, candidate, [interviewer], title="Backend panel")
    with django_capture_on_commit_callbacks(execute=True):
        r = anon_client.post(public(link["token"]) + "/book?tz=Asia/Kolkata", {"start": iso(10)}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["interview"]["start"] == at(10).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Kolkata")).isoformat()
    assert parse(body["interview"]["end"]) == at(11)
    assert body["interview"]["status"] == "scheduled"
    assert_nothing_private(body, [candidate, interviewer])
    interview = Interview.objects.get()
    assert interview.candidate == candidate and list(interview.interviewers.all()) == [interviewer]
    assert interview.title == "Backend panel" and interview.start == at(10)
    shown = anon_client.get(public(link["token"]) + "?tz=UTC").json()
    assert shown["status"] == "booked" and shown["interview"]["start"] == iso(10)
    assert iso(10) not in [s["start"] for s in shown["slots"]]  # the booked hour is busy now
    # invites went out; the candidate's carries the link, the interviewer's does not
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {candidate.email, interviewer.email}
    assert link["url"] in by_recipient[candidate.email].body
    assert link["url"] in by_recipient[candidate.email].alternatives[0][0]
    assert link["token"] not in by_recipient[interviewer.email].body
    # a second booking through the same link is a conflict
    assert_error(anon_client.post(public(link["token"]) + "/book", {"start": iso(12)}, format="json"), 409, "conflict")


def test_book_taken_meanwhile(hr_client, anon_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    other = CandidateFactory()
    free(other, 9, 13)
    assert book(hr_client, other, [interviewer], 10).status_code == 201
    r = anon_client.post(public(link["token"]) + "/book", {"start": iso(10)}, format="json")
    error = assert_error(r, 409, "slot_unavailable")
    assert "unavailable" not in error and "pick another" in error["message"]
    assert_nothing_private(r.json(), [candidate, interviewer, other])
    assert SchedulingLink.objects.get(pk=link["id"]).interview is None


@pytest.mark.parametrize("start", [iso(10, 10), iso(10, 0, day=3), iso(8, 0, day=-20), "2020-01-01T10:00:00Z"])
def test_book_only_what_the_link_offers(hr_client, anon_client, candidate, interviewer, start):
    free(candidate, 0, 24, day=3)
    free(interviewer, 0, 24, day=3)
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    link = make_link(hr_client, candidate, [interviewer])
    r = anon_client.post(public(link["token"]) + "/book", {"start": start}, format="json")
    assert_error(r, 409, "slot_unavailable")
    assert not Interview.objects.exists()


def test_book_refuses_bad_input(hr_client, anon_client, candidate, interviewer, both_free):
    url = public(make_link(hr_client, candidate, [interviewer])["token"]) + "/book"
    for body in [{}, {"start": "soon"}, {"start": None}, {"start": ["x"]}, [], "x"]:
        assert_error(anon_client.post(url, body, format="json"), 400, "validation_error")
    assert_error(anon_client.post(url, "{nope", content_type="application/json"), 400, "validation_error")
    assert_error(anon_client.post(url + "?tz=Nowhere", {"start": iso(10)}, format="json"), 400, "validation_error")


def test_naive_start_is_wall_time_in_the_zone_named(hr_client, anon_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    wall = at(10).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata")).replace(tzinfo=None).isoformat()
    r = anon_client.post(public(link["token"]) + "/book", {"start": wall, "tz": "Asia/Kolkata"}, format="json")
    assert r.status_code == 201, r.content
    assert Interview.objects.get().start == at(10)


def test_reschedule_moves_the_same_interview(hr_client, anon_client, candidate, interviewer, both_free,
                                             django_capture_on_commit_callbacks):
    link = make_link(hr_client, candidate, [interviewer])
    url = public(link["token"])
    assert_error(anon_client.post(url + "/reschedule", {"start": iso(11)}, format="json"), 409, "conflict")
    anon_client.post(url + "/book", {"start": iso(10)}, format="json")
    interview = Interview.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = anon_client.post(url + "/reschedule?tz=UTC", {"start": iso(11, 30)}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["interview"]["start"] == iso(11, 30) and r.json()["interview"]["sequence"] == 1
    interview.refresh_from_db()
    assert (interview.start, interview.sequence) == (at(11, 30), 1) and Interview.objects.count() == 1
    assert any(m.subject.startswith("Updated") and link["url"] in m.body for m in mail.outbox)
    # overlapping its own old time is fine; someone else's time is not
    assert anon_client.post(url + "/reschedule", {"start": iso(11)}, format="json").status_code == 200
    other = CandidateFactory()
    free(other, 9, 13)
    book(hr_client, other, [interviewer], 9)
    assert_error(anon_client.post(url + "/reschedule", {"start": iso(9, 30)}, format="json"), 409, "slot_unavailable")
    assert_error(anon_client.post(url + "/reschedule", {"start": iso(11, 5)}, format="json"), 409, "slot_unavailable")


def test_cancel_opens_the_link_again(hr_client, anon_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    url = public(link["token"])
    assert_error(anon_client.post(url + "/cancel"), 409, "conflict")
    anon_client.post(url + "/book", {"start": iso(10)}, format="json")
    r = anon_client.post(url + "/cancel")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled" and r.json()["interview"]["status"] == "cancelled"
    assert_nothing_private(r.json(), [candidate, interviewer])
    assert Interview.objects.get().status == "cancelled"
    shown = anon_client.get(url + "?tz=UTC").json()
    assert shown["status"] == "open" and shown["interview"] is None and iso(10) in [s["start"] for s in shown["slots"]]
    assert_error(anon_client.post(url + "/cancel"), 409, "conflict")
    assert anon_client.post(url + "/book", {"start": iso(11)}, format="json").status_code == 201


def test_hr_cancelling_the_interview_opens_the_link(hr_client, anon_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    anon_client.post(public(link["token"]) + "/book", {"start": iso(10)}, format="json")
    hr_client.post(f"/api/v1/interviews/{Interview.objects.get().pk}/cancel")
    assert anon_client.get(public(link["token"])).json()["status"] == "open"


def test_add_to_calendar(hr_client, anon_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    url = public(link["token"])
    assert_error(anon_client.get(url + "/interview.ics"), 404, "not_found")
    anon_client.post(url + "/book", {"start": iso(10)}, format="json")
    r = anon_client.get(url + "/interview.ics?tz=Asia/Kolkata")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    text = r.content.decode()
    assert "METHOD:PUBLISH" in text and Interview.objects.get().uid in text and "Asia/Kolkata" in text
    assert "mailto:" not in text and candidate.email not in text and interviewer.email not in text


def test_public_calls_ignore_an_authorization_header(hr_client, candidate, interviewer, both_free):
    link = make_link(hr_client, candidate, [interviewer])
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-one")
    assert client.get(public(link["token"])).status_code == 200


def test_idempotency_key_replays_the_booking(hr_client, anon_client, candidate, interviewer, both_free):
    url = public(make_link(hr_client, candidate, [interviewer])["token"]) + "/book"
    first = anon_client.post(url, {"start": iso(10)}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = anon_client.post(url, {"start": iso(10)}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and Interview.objects.count() == 1
    assert_error(anon_client.post(url, {"start": iso(11)}, format="json", HTTP_IDEMPOTENCY_KEY="k1"), 409, "conflict")


def test_throttled_per_link_and_per_ip(hr_client, anon_client, candidate, interviewer, settings, one_counter_window):
    first, second = (make_link(hr_client, candidate, [interviewer]) for _ in range(2))

    def rates(**scopes):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}
        cache.clear()

    rates(public_link="3/min")
    for _ in range(3):
        assert anon_client.get(public(first["token"])).status_code == 200
    r = anon_client.get(public(first["token"]))
    assert_error(r, 429, "rate_limited")
    assert int(r["Retry-After"]) > 0
    assert_error(anon_client.post(public(first["token"]) + "/book", {"start": iso(10)}, format="json"),
                 429, "rate_limited")
    assert anon_client.get(public(second["token"])).status_code == 200  # another link has its own count
    rates(public="2/min")
    assert anon_client.get(public(first["token"])).status_code == 200
    assert anon_client.get(public(second["token"])).status_code == 200
    assert_error(anon_client.get(public(second["token"])), 429, "rate_limited")  # this address: 2 a minute
    assert anon_client.get(public(second["token"]), REMOTE_ADDR="10.0.0.9").status_code == 200  # another address


def test_public_view_query_count(hr_client, anon_client, candidate, interviewer, both_free,
                                 django_assert_max_num_queries):
    link = make_link(hr_client, candidate, [interviewer, InterviewerFactory()])
    with django_assert_max_num_queries(10):
        assert anon_client.get(public(link["token"])).status_code == 200


def test_hr_listing_query_count(hr_client, candidate, interviewer, both_free, anon_client,
                                django_assert_max_num_queries):
    pool = [InterviewerFactory(), InterviewerFactory()]
    for k in range(6):
        link = make_link(hr_client, candidate, [interviewer], pool=[p.pk for p in pool] if k % 2 else [])
        if k == 0:
            anon_client.post(public(link["token"]) + "/book", {"start": iso(10)}, format="json")
    with django_assert_max_num_queries(6):
        r = hr_client.get("/api/v1/scheduling-links/")
    assert r.status_code == 200 and len(r.json()) == 6


def test_public_view_query_count_with_a_pool(hr_client, anon_client, candidate, interviewer, both_free,
                                             django_assert_max_num_queries):
    pool = [InterviewerFactory() for _ in range(4)]
    link = make_link(hr_client, candidate, [interviewer], pool=[p.pk for p in pool], pool_size=2)
    with django_assert_max_num_queries(10):
        assert anon_client.get(public(link["token"])).status_code == 200


def test_cancel_needs_no_body(hr_client, anon_client, candidate, interviewer, both_free):
    url = public(make_link(hr_client, candidate, [interviewer])["token"])
    anon_client.post(url + "/book", {"start": iso(10)}, format="json")
    assert anon_client.post(url + "/cancel").status_code == 200  # the test client's default: a form body
