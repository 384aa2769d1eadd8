"""Links with a pool: K members besides the panel must be free; the one booked is chosen at booking time,
the least loaded that week, then the earliest id."""

import pytest

from scheduling.models import Interview
from tests.factories import CandidateFactory, InterviewerFactory
from tests.links.helpers import assert_nothing_private, make_link, public
from tests.links.test_links_api import hr_slots
from tests.scheduling.helpers import book, free, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(candidate, interviewer):
    free(candidate, 9, 16)
    free(interviewer, 9, 16)
    p1, p2, p3 = InterviewerFactory(name="Pia"), InterviewerFactory(name="Paz"), InterviewerFactory(name="Pim")
    free(p1, 9, 11)
    free(p2, 9, 10)
    free(p3, 11, 16)
    return [p1, p2, p3]


def test_slots_need_k_pool_members(hr_client, anon_client, candidate, interviewer, pool):
    link = make_link(hr_client, candidate, [interviewer], pool=[p.pk for p in pool])
    assert link["pool"] == sorted(p.pk for p in pool) and link["pool_size"] == 1
    body = anon_client.get(public(link["token"]) + "?tz=UTC").json()
    panel_only = [s["start"] for s in hr_slots(hr_client, candidate, [interviewer], "UTC")]
    shown = [s["start"] for s in body["slots"]]
    assert iso(10, 30) in panel_only and iso(10, 30) not in shown  # 10:30-11:30: no pool member free
    assert shown == [s for s in panel_only if s != iso(10, 30)]
    assert body["interviewers"] == [{"name": "Ivan Interviewer"}] and body["pool_size"] == 1
    # the very answer /slots/ gives HR for that panel and pool (less the members' ids)
    start, end = link["start"].replace("+00:00", "Z"), link["end"].replace("+00:00", "Z")
    pool_query = "".join(f"&pool={p.pk}" for p in pool)
    hr_answer = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}{pool_query}"
                              f"&pool_size=1&start={start}&end={end}&step=30&tz=UTC").json()
    assert [{"start": s["start"], "end": s["end"]} for s in hr_answer["slots"]] == body["slots"]
    assert_nothing_private(body, [candidate, interviewer, *pool])
    # two of the pool: only 9:00-10:00 has two members free (Pia and Paz)
    two = make_link(hr_client, candidate, [interviewer], pool=[p.pk for p in pool], pool_size=2)
    assert [s["start"] for s in anon_client.get(public(two["token"]) + "?tz=UTC").json()["slots"]] == [iso(9)]


def test_booking_picks_the_least_loaded_then_the_earliest_id(hr_client, anon_client, candidate, interviewer, pool):
    p1, p2, p3 = pool
    link = make_link(hr_client, candidate, [interviewer], pool=[p.pk for p in pool])
    r = anon_client.post(public(link["token"]) + "/book", {"start": iso(9)}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["interview"]["interviewers"] == [{"name": "Ivan Interviewer"}, {"name": "Pia"}]  # tie: earliest id
    assert_nothing_private(r.json(), [candidate, interviewer, *pool])
    # Pia now has one interview this week, Paz none: the next candidate gets Paz
    other = CandidateFactory()
    free(other, 9, 16)
    second_interviewer = InterviewerFactory()
    free(second_interviewer, 9, 16)
    link2 = make_link(hr_client, other, [second_interviewer], pool=[p1.pk, p2.pk])
    anon_client.post(public(link2["token"]) + "/book", {"start": iso(9)}, format="json")
    # Pia is busy at 9 anyway; try a time both could take: make both free later
    free(p1, 14, 15)
    free(p2, 14, 15)
    third = CandidateFactory()
    free(third, 14, 15)
    third_panel = InterviewerFactory()
    free(third_panel, 14, 15)
    link3 = make_link(hr_client, third, [third_panel], pool=[p1.pk, p2.pk])
    r = anon_client.post(public(link3["token"]) + "/book", {"start": iso(14)}, format="json")
    assert r.status_code == 201, r.content
    interview = Interview.objects.get(candidate=third)
    loads = {p.pk: Interview.objects.filter(interviewers=p).exclude(pk=interview.pk).count() for p in (p1, p2)}
    assert loads == {p1.pk: 1, p2.pk: 1}  # equal load: the earliest id
    assert sorted(u.pk for u in interview.interviewers.all()) == sorted([third_panel.pk, p1.pk])


def test_least_loaded_wins_over_the_earlier_id(hr_client, anon_client, candidate, interviewer, pool):
    p1, p2, _ = pool
    busy_candidate = CandidateFactory()
    free(busy_candidate, 15, 16)
    free(p1, 15, 16)
    assert book(hr_client, busy_candidate, [p1], 15).status_code == 201  # Pia: one interview this week
    link = make_link(hr_client, candidate, [interviewer], pool=[p1.pk, p2.pk])
    r = anon_client.post(public(link["token"]) + "/book", {"start": iso(9)}, format="json")
    assert r.json()["interview"]["interviewers"] == [{"name": "Ivan Interviewer"}, {"name": "Paz"}]


def test_pool_member_taken_meanwhile(hr_client, anon_client, candidate, interviewer, pool):
    p1, p2, _ = pool
    link = make_link(hr_client, candidate, [interviewer], pool=[p1.pk, p2.pk], pool_size=2)
    someone = CandidateFactory()
    free(someone, 9, 10)
    assert book(hr_client, someone, [p2], 9).status_code == 201
    r = anon_client.post(public(link["token"]) + "/book", {"start": iso(9)}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "slot_unavailable"
    assert "unavailable" not in r.json()["error"]


def test_reschedule_keeps_the_chosen_member(hr_client, anon_client, candidate, interviewer, pool):
    link = make_link(hr_client, candidate, [interviewer], pool=[p.pk for p in pool])
    anon_client.post(public(link["token"]) + "/book", {"start": iso(9)}, format="json")
    shown = anon_client.get(public(link["token"]) + "?tz=UTC").json()
    # slots for moving it: the candidate, the panel and Pia (free 9-11), the old hour excluded as busy
    assert [s["start"] for s in shown["slots"]] == [iso(10)]
    r = anon_client.post(public(link["token"]) + "/reschedule", {"start": iso(10)}, format="json")
    assert r.status_code == 200 and r.json()["interview"]["interviewers"][1] == {"name": "Pia"}
