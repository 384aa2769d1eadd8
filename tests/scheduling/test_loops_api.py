"""Interview loops over HTTP: search, book all or none, show, cancel as a whole, feed, bad input."""

from datetime import timedelta

import pytest
from django.core import mail

from core.feed_tokens import feed_url
from scheduling.models import Interview, InviteDelivery, Loop
from slots.models import BusyPeriod
from tests.conftest import assert_error, client_for
from tests.factories import CandidateFactory, InterviewerFactory
from tests.scheduling.helpers import at, book, free, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(db):
    return [InterviewerFactory(timezone="Asia/Kolkata") for _ in range(4)]


def search(client, body, status=200):
    r = client.post("/api/v1/loops/search", body, format="json")
    assert r.status_code == status, r.content
    return r.json()


def window():
    return {"start": at(0).isoformat(), "end": at(0, day=2).isoformat(), "tz": "UTC"}


def test_search_four_sessions_panels_of_two(hr_client, candidate, panel, django_assert_max_num_queries):
    free(candidate, 9, 17)
    for person in panel:
        free(person, 9, 17)
    sessions = [{"title": f"S{k}", "interviewers": [panel[k].pk, panel[(k + 1) % 4].pk], "duration": 45}
                for k in range(4)]
    with django_assert_max_num_queries(8):
        body = search(hr_client, {"candidate": candidate.pk, "sessions": sessions, "order": "fixed", "limit": 3,
                                  **window()})
    first = body["options"][0]
    assert (first["start"], first["end"]) == (at(9).isoformat(), at(12).isoformat())
    assert [s["title"] for s in first["sessions"]] == ["S0", "S1", "S2", "S3"]
    assert first["sessions"][1] == {"session": 1, "title": "S1", "start": at(9, 45).isoformat(),
                                    "end": at(10, 30).isoformat(), "interviewers": sorted([panel[1].pk, panel[2].pk])}
    assert [o["start"] for o in body["options"]] == [at(9).isoformat(), at(9, 15).isoformat(), at(9, 30).isoformat()]
    assert "explanation" not in body and body["timezone"] == "UTC"


def test_search_any_order_with_gaps_and_a_pool(hr_client, candidate, panel):
    free(candidate, 9, 13)
    free(panel[0], 11, 12)
    free(panel[1], 9, 10)
    free(panel[2], 10, 11)
    free(panel[3], 9, 11)
    sessions = [{"interviewers": [panel[0].pk], "duration": 60},
                {"pool": [panel[2].pk, panel[1].pk], "duration": 60}]
    body = search(hr_client, {"candidate": candidate.pk, "sessions": sessions, "order": "any", "max_gap": 60,
                              "step": 60, **window()})
    plans = [[(s["session"], s["start"][11:16], s["interviewers"]) for s in o["sessions"]] for o in body["options"]]
    assert plans == [[(1, "09:00", [panel[1].pk]), (0, "11:00", [panel[0].pk])],
                     [(1, "10:00", [panel[2].pk]), (0, "11:00", [panel[0].pk])]]
    assert body["options"][0]["total_gap"] == 60 and body["options"][0]["sessions"][0]["available"] == [panel[1].pk]
    fixed = search(hr_client, {"candidate": candidate.pk, "sessions": sessions, "order": "fixed", "max_gap": 60,
                               "step": 60, **window()})
    assert fixed["options"] == [] and fixed["explanation"]["code"] == "no_common_time"


def test_search_answer_in_kolkata(hr_client, candidate, panel):
    free(candidate, 3, 8)  # 08:30-13:30 in Kolkata
    free(panel[0], 3, 8)
    free(panel[1], 3, 8)
    body = search(hr_client, {"candidate": candidate.pk, "tz": "Asia/Kolkata", "start": at(0).isoformat(),
                              "end": at(0, day=1).isoformat(), "step": 60, "limit": 1,
                              "sessions": [{"interviewers": [panel[0].pk], "duration": 60},
                                           {"interviewers": [panel[1].pk], "duration": 60}]})
    assert [s["start"][11:] for s in body["options"][0]["sessions"]] == ["09:00:00+05:30", "10:00:00+05:30"]
    assert body["timezone"] == "Asia/Kolkata"


def test_search_explains_an_empty_answer(hr_client, candidate, panel):
    free(candidate, 9, 17)
    free(panel[0], 9, 17)
    body = search(hr_client, {"candidate": candidate.pk, **window(), "sessions": [
        {"interviewers": [panel[0].pk], "duration": 60}, {"interviewers": [panel[1].pk], "duration": 60}]})
    assert body["options"] == []
    assert body["explanation"]["code"] == "no_free_time" and body["explanation"]["users"] == [panel[1].pk]
    assert body["explanation"]["message"].startswith("Session 2: ")


def loop_body(candidate, panel, hours=(10, 11), **extra):
    return {"candidate": candidate.pk, "title": "Onsite", "sessions": [
        {"title": f"Round {k + 1}", "interviewers": [panel[k].pk, panel[k + 2].pk], "start": iso(h), "duration": 60}
        for k, h in enumerate(hours)], **extra}


def test_book_show_feed_and_cancel_a_loop(hr_client, candidate, panel, django_capture_on_commit_callbacks):
    for person in (candidate, *panel):
        free(person, 9, 13)
    with django_capture_on_commit_callbacks(execute=True):
        r = hr_client.post("/api/v1/loops/", loop_body(candidate, panel), format="json")
    assert r.status_code == 201, r.content
    loop = r.json()
    assert loop["status"] == "scheduled" and loop["title"] == "Onsite" and loop["candidate"] == candidate.pk
    assert (loop["start"], loop["end"]) == (iso(10), iso(12))
    assert [(i["title"], i["start"], i["interviewers"], i["loop"]) for i in loop["interviews"]] == [
        ("Round 1", iso(10), sorted([panel[0].pk, panel[2].pk]), loop["id"]),
        ("Round 2", iso(11), sorted([panel[1].pk, panel[3].pk]), loop["id"])]
    # one invite per session to each of its participants, each session with its own UID
    assert sorted(len(m.to) for m in mail.outbox) == [1] * 6
    assert InviteDelivery.objects.filter(recipient=candidate).count() == 2
    assert InviteDelivery.objects.filter(recipient=panel[0]).count() == 1
    uids = {i["uid"] for i in loop["interviews"]}
    assert len(uids) == 2 and all(any(uid in m.alternatives[1][0] for m in mail.outbox) for uid in uids)
    # the sessions are busy time, and show in the feeds as interviews
    assert BusyPeriod.objects.filter(user=candidate, source="interview").count() == 2
    feed = client_for(candidate).get(feed_url(candidate, None).split("testserver")[-1])
    assert feed.status_code == 200 and all(uid.encode() in feed.content for uid in uids)
    shown = hr_client.get(f"/api/v1/loops/{loop['id']}/").json()
    assert shown == loop
    # cancelled as a whole: every session, their busy time, CANCEL invites; twice is harmless
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = hr_client.post(f"/api/v1/loops/{loop['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert [i["status"] for i in r.json()["interviews"]] == ["cancelled", "cancelled"]
    assert not BusyPeriod.objects.filter(user=candidate).exists()
    assert len(mail.outbox) == 6 and all("CANCEL" in m.alternatives[1][1] for m in mail.outbox)
    assert hr_client.post(f"/api/v1/loops/{loop['id']}/cancel").json()["status"] == "cancelled"
    assert len(mail.outbox) == 6


def test_all_or_none_names_the_session(hr_client, candidate, panel):
    for person in (candidate, *panel):
        free(person, 9, 13)
    other = CandidateFactory()
    free(other, 9, 13)
    assert book(hr_client, other, [panel[3]], 11).status_code == 201  # takes session 2's interviewer
    r = hr_client.post("/api/v1/loops/", loop_body(candidate, panel), format="json")
    error = assert_error(r, 409, "slot_unavailable")
    assert error["session"] == 1 and error["unavailable"] == [panel[3].pk] and "Session 2 (Round 2)" in error["message"]
    assert not Loop.objects.exists() and Interview.objects.count() == 1
    assert not BusyPeriod.objects.filter(user=candidate).exists()


def test_only_hr(candidate_client, interviewer_client, candidate, panel):
    for client in (candidate_client, interviewer_client):
        assert_error(client.post("/api/v1/loops/", loop_body(candidate, panel), format="json"), 403, "permission_denied")
        assert_error(client.post("/api/v1/loops/search", {}, format="json"), 403, "permission_denied")
        assert_error(client.get("/api/v1/loops/1/"), 403, "permission_denied")


def test_unknown_loop_is_404(hr_client):
    assert_error(hr_client.get("/api/v1/loops/99999/"), 404, "not_found")
    assert_error(hr_client.post("/api/v1/loops/99999/cancel"), 404, "not_found")


def nine(panel):
    return [{"interviewers": [panel[0].pk], "duration": 30, "start": iso(9, 0, day=1 + k)} for k in range(9)]


@pytest.mark.parametrize("path", ["/api/v1/loops/search", "/api/v1/loops/"])
@pytest.mark.parametrize("change, status, field", [
    (lambda b, p, c: b.update(sessions=nine(p)), 400, "sessions"),
    (lambda b, p, c: b.update(sessions=b["sessions"][:1]), 400, "sessions"),
    (lambda b, p, c: b["sessions"][0].update(interviewers=[]), 400, "sessions.0.interviewers"),
    (lambda b, p, c: b["sessions"][0].update(duration=10), 400, "sessions.0.duration"),
    (lambda b, p, c: b["sessions"][0].update(duration=481), 400, "sessions.0.duration"),
    (lambda b, p, c: b["sessions"][1].update(interviewers=[p[1].pk, p[1].pk]), 400, "sessions.1.interviewers"),
    (lambda b, p, c: b["sessions"][1].update(interviewers=[c.pk]), 400, "candidate"),
    (lambda b, p, c: b["sessions"][1].update(interviewers=[987654]), 404, None),
    (lambda b, p, c: b.update(candidate=987654), 404, None),
    (lambda b, p, c: b.update(candidate=p[0].pk), 400, "candidate"),
    (lambda b, p, c: b.update(sessions="x"), 400, "sessions"),
    (lambda b, p, c: b["sessions"][0].update(interviewers=["a"]), 400, "sessions.0.interviewers"),
])
def test_bad_input(hr_client, candidate, panel, path, change, status, field):
    body = loop_body(candidate, panel)
    if path.endswith("search"):
        body = {"candidate": candidate.pk, "sessions": [{k: v for k, v in s.items() if k != "start"}
                                                        for s in body["sessions"]]}
    change(body, panel, candidate)
    r = hr_client.post(path, body, format="json")
    error = assert_error(r, status, "validation_error" if status == 400 else "not_found")
    if field:
        assert field in error["fields"], error


@pytest.mark.parametrize("body_change, field", [
    (lambda b: b.update(order="random"), "order"),
    (lambda b: b.update(max_gap=-5), "max_gap"),
    (lambda b: b.update(limit=0), "limit"),
    (lambda b: b.update(step=1), "step"),
    (lambda b: b.update(tz="Mars/Olympus"), "tz"),
    (lambda b: b.update(start=at(0).isoformat(), end=at(0, day=40).isoformat()), "end"),
    (lambda b: b["sessions"][0].update(pool_size=1), "sessions.0.pool_size"),
    (lambda b: b["sessions"][0].update(pool=[b["sessions"][0]["interviewers"][0]]), "sessions.0.interviewers"),
])
def test_bad_search_parameters(hr_client, candidate, panel, body_change, field):
    body = {"candidate": candidate.pk, "sessions": [{"interviewers": [panel[0].pk], "duration": 60},
                                                    {"interviewers": [panel[1].pk], "duration": 60}]}
    body_change(body)
    assert field in assert_error(hr_client.post("/api/v1/loops/search", body, format="json"), 400,
                                 "validation_error")["fields"]


def test_booking_overlapping_or_past_sessions_is_400(hr_client, candidate, panel):
    body = loop_body(candidate, panel, hours=(10, 10))
    body["sessions"][1]["start"] = iso(10, 30)
    assert "sessions" in assert_error(hr_client.post("/api/v1/loops/", body, format="json"), 400,
                                      "validation_error")["fields"]
    body = loop_body(candidate, panel)
    body["sessions"][1]["start"] = (at(0) - timedelta(days=30)).isoformat()
    assert "sessions.1.start" in assert_error(hr_client.post("/api/v1/loops/", body, format="json"), 400,
                                              "validation_error")["fields"]
    assert not Loop.objects.exists()


def test_idempotent_booking(hr_client, candidate, panel):
    for person in (candidate, *panel):
        free(person, 9, 13)
    first = hr_client.post("/api/v1/loops/", loop_body(candidate, panel), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = hr_client.post("/api/v1/loops/", loop_body(candidate, panel), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Loop.objects.count() == 1 and Interview.objects.count() == 2


def test_queries_are_bounded(hr_client, candidate, panel, django_assert_max_num_queries):
    for person in (candidate, *panel):
        free(person, 8, 18)
    body = loop_body(candidate, panel, hours=(9, 10))
    body["sessions"] += [{"interviewers": [panel[k].pk], "start": iso(11 + k), "duration": 60} for k in range(4)]
    with django_assert_max_num_queries(10 + 18 * len(body["sessions"])):  # each session: a single booking
        r = hr_client.post("/api/v1/loops/", body, format="json")
    assert r.status_code == 201, r.content
    with django_assert_max_num_queries(5):
        assert len(hr_client.get(f"/api/v1/loops/{r.json()['id']}/").json()["interviews"]) == 6


def test_a_search_out_of_work_says_it_is_incomplete(hr_client, candidate, panel, monkeypatch):
    for person in (candidate, *panel):
        free(person, 8, 18)
    body = {"candidate": candidate.pk, "order": "any", "limit": 50, **window(),
            "sessions": [{"interviewers": [p.pk], "duration": 30} for p in panel]}
    assert "complete" not in search(hr_client, body)
    monkeypatch.setattr("slots.loops.MAX_STATES", 3)
    answer = search(hr_client, body)
    assert answer["complete"] is False and len(answer["options"]) < 50


def test_search_shares_the_slots_rate(hr_client, candidate, panel, settings, one_counter_window):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"slots": "2/min"}}
    body = {"candidate": candidate.pk, "sessions": [{"interviewers": [panel[0].pk], "duration": 60},
                                                    {"interviewers": [panel[1].pk], "duration": 60}]}
    assert search(hr_client, body)["options"] == []
    assert hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={panel[0].pk}").status_code == 200
    assert_error(hr_client.post("/api/v1/loops/search", body, format="json"), 429, "rate_limited")


def test_an_option_found_can_be_booked_as_is(hr_client, candidate, panel):
    free(candidate, 9, 13)
    for person in panel:
        free(person, 9, 13)
    sessions = [{"title": "Pair", "interviewers": [panel[0].pk, panel[1].pk], "duration": 45},
                {"title": "Pool", "pool": [panel[2].pk, panel[3].pk], "duration": 60}]
    option = search(hr_client, {"candidate": candidate.pk, "sessions": sessions, "order": "any", "max_gap": 15,
                                **window()})["options"][0]
    body = {"candidate": candidate.pk, "title": "Onsite", "sessions": [
        {"title": s["title"], "interviewers": s["interviewers"], "start": s["start"],
         "duration": sessions[s["session"]]["duration"]} for s in option["sessions"]]}
    r = hr_client.post("/api/v1/loops/", body, format="json")
    assert r.status_code == 201, r.content
    assert [(i["title"], i["start"]) for i in r.json()["interviews"]] == [(s["title"], s["start"])
                                                                         for s in option["sessions"]]
    # and the same search now starts later: that time is taken
    again = search(hr_client, {"candidate": candidate.pk, "sessions": sessions, "order": "any", "max_gap": 15,
                               **window()})["options"]
    assert again and again[0]["start"] >= r.json()["end"]
