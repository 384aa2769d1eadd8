"""Whole slot answers shared by the searches of one minute (slots.answers): a repeated search computes
nothing, anyone's write is seen by the next search, the minute moving on is seen, and the answer depends on
everything in the search. (The free time behind them: tests/slots/test_free_time_cache.py.)"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection, transaction

from slots import views
from slots.answers import search_instant
from slots.models import AvailabilityWindow, BusyPeriod
from tests import dates
from tests.factories import InterviewerFactory
from tests.slots.test_free_time_cache import in_another_connection

pytestmark = pytest.mark.django_db

MONDAY = dates.monday(2)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return dates.at(MONDAY + timedelta(days=day), hour, minute) + timedelta(seconds=second)


@pytest.fixture
def computed(monkeypatch):
    """How many times a search's answer was computed rather than read from the cache."""
    calls = []
    real = views._slots_found
    monkeypatch.setattr(views, "_slots_found", lambda *args: calls.append(1) or real(*args))
    return calls


@pytest.fixture
def free_day_1(candidate, interviewer):
    for person in (candidate, interviewer):
        AvailabilityWindow.objects.create(user=person, start=at(1, 9), end=at(1, 12))


def search(hr_client, candidate, interviewer, extra="", *, status=200):
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&tz=UTC"
                      f"&start={dates.z(at(1))}&end={dates.z(at(2))}{extra}")
    assert r.status_code == status, r.content
    return r.json()


def starts(answer) -> list[str]:
    return [s["start"][11:16] for s in answer["slots"]]


def test_a_repeated_search_computes_nothing(hr_client, candidate, interviewer, free_day_1, computed,
                                            django_assert_max_num_queries):
    first = search(hr_client, candidate, interviewer)
    with django_assert_max_num_queries(0):  # not even who they are: see the next test
        assert search(hr_client, candidate, interviewer) == first
    assert starts(first) == ["09:00", "10:00", "11:00"] and len(computed) == 1


def test_who_they_are_is_checked_again_once_anyone_in_it_changed(hr_client, candidate, interviewer, free_day_1):
    """A kept answer skips the check of who the people are; any save or deletion of one of them renews their
    version, so the next search checks again."""
    member = InterviewerFactory()
    with_pool = f"&pool={member.pk}"
    assert starts(search(hr_client, candidate, interviewer, with_pool)) == []  # the member has no free time
    member.is_active = False
    member.save()
    assert search(hr_client, candidate, interviewer, with_pool, status=400)["error"]["fields"] == {
        "pool": [f"User {member.pk} is not an active interviewer."]}
    interviewer.role = "candidate"
    interviewer.save()
    assert search(hr_client, candidate, interviewer, status=400)["error"]["fields"] == {
        "interviewers": [f"User {interviewer.pk} is not an active interviewer."]}
    interviewer.role = "interviewer"
    interviewer.save()
    assert starts(search(hr_client, candidate, interviewer)) == ["09:00", "10:00", "11:00"]
    gone = SimpleNamespace(pk=candidate.pk)
    candidate.delete()
    assert search(hr_client, gone, interviewer, status=404)["error"]["code"] == "not_found"


def test_a_write_by_anyone_in_it_is_seen_by_the_next_search(hr_client, candidate, interviewer, free_day_1,
                                                            interviewer_client, computed):
    member = InterviewerFactory()
    AvailabilityWindow.objects.create(user=member, start=at(1, 9), end=at(1, 12))
    with_pool = f"&pool={member.pk}"
    assert starts(search(hr_client, candidate, interviewer, with_pool)) == ["09:00", "10:00", "11:00"]
    BusyPeriod.objects.create(user=member, start=at(1, 10), end=at(1, 11), source="manual")  # the pool's member
    assert starts(search(hr_client, candidate, interviewer, with_pool)) == ["09:00", "11:00"]
    interviewer_client.post("/api/v1/busy/", {"start": at(1, 9).isoformat(), "end": at(1, 10).isoformat()},
                            format="json")  # the panel's interviewer, through the API
    assert starts(search(hr_client, candidate, interviewer, with_pool)) == ["11:00"]
    assert len(computed) == 3


def test_the_next_minute_is_a_new_answer(hr_client, candidate, interviewer, free_day_1, computed):
    """The 09:00 slot is offered until 09:00:00 exactly; from the next instant on it has begun."""
    with time_machine.travel(at(1, 8, 59, 1), tick=False):
        assert starts(search(hr_client, candidate, interviewer)) == ["09:00", "10:00", "11:00"]
    with time_machine.travel(at(1, 9), tick=False):
        assert starts(search(hr_client, candidate, interviewer)) == ["09:00", "10:00", "11:00"]
    assert len(computed) == 1  # 08:59:01 and 09:00:00 are searches of the same minute
    with time_machine.travel(at(1, 9) + timedelta(microseconds=1), tick=False):
        assert starts(search(hr_client, candidate, interviewer)) == ["10:00", "11:00"]
    assert len(computed) == 2


def test_each_part_of_the_search_is_its_own_answer(hr_client, candidate, interviewer, free_day_1, computed):
    answers = [search(hr_client, candidate, interviewer, extra) for extra in
               ("", "&duration=30", "&step=30", "&tz=Asia/Kolkata", f"&end={dates.z(at(1, 11))}")]
    assert [starts(a) for a in answers] == [
        ["09:00", "10:00", "11:00"], ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"],
        ["09:00", "09:30", "10:00", "10:30", "11:00"], ["15:00", "16:00"], ["09:00", "10:00"]]
    assert len(computed) == 5


def test_the_default_range_is_from_now_and_its_minute_shares_one_answer(hr_client, candidate, interviewer, computed):
    """Now to now + 60 days, as the answer says; searched from the whole minute, which gives the same slots at
    both ends: none starts before now, and the last ends by now + 60 days."""
    for person in (candidate, interviewer):
        AvailabilityWindow.objects.create(user=person, start=at(0, 10), end=at(0, 11))
        AvailabilityWindow.objects.create(user=person, start=at(60, 9), end=at(60, 11))
    moment = at(0, 10, 20, 37) + timedelta(microseconds=5)
    query = f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&tz=UTC&duration=20"
    with time_machine.travel(moment, tick=False):
        first = hr_client.get(query).json()
    with time_machine.travel(moment + timedelta(seconds=20), tick=False):
        second = hr_client.get(query).json()
    assert (first["start"], first["end"]) == (dates.iso(moment), dates.iso(moment + timedelta(days=60)))
    assert second["start"] == dates.iso(moment + timedelta(seconds=20))
    assert [s["start"] for s in first["slots"]] == [dates.iso(at(day, hour, minute)) for day, hour, minute in (
        (0, 10, 40), (60, 9, 0), (60, 9, 20), (60, 9, 40), (60, 10, 0))]  # 10:00-10:20 on day 60 ends in time
    assert second["slots"] == first["slots"] and len(computed) == 1
    assert search_instant(moment) == at(0, 10, 21) and search_instant(at(0, 10, 21)) == at(0, 10, 21)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second connection searching during a write")
def test_a_search_during_a_write_cannot_keep_the_old_answer(hr_client, candidate, interviewer, free_day_1):
    """Another connection searches while a write is not yet committed: its answer, from the rows before the
    write, is kept under the version the write set first; the version set at the commit makes it unreachable."""
    with transaction.atomic():
        BusyPeriod.objects.create(user=interviewer, start=at(1, 9), end=at(1, 11), source="manual")
        during = in_another_connection(lambda: starts(search(hr_client, candidate, interviewer)))
    assert during == ["09:00", "10:00", "11:00"]  # the rows before the commit
    assert starts(search(hr_client, candidate, interviewer)) == ["11:00"]
