"""Cached free time for slot searches: the same answers as the database gives, after every kind of write.

Three checks: random data and ranges give the same slots and explanations cached (cold and warm) as read
straight from the database; every path that writes free time (the API, imports, provider syncs, bookings,
the admin's deletes, a zone change) is followed by the fresh answer; and a warm search reads no rows.
"""

import random
import threading
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from core.calendar_providers import BusyAnswer
from integrations.calendar_store import store_busy
from integrations.models import CalendarSource
from scheduling.models import Interview
from slots import matcher, views
from slots.intervals import Interval
from slots.models import AvailabilityWindow, BusyPeriod, InterviewerPolicy, WeeklyRule
from slots.selectors import free_time_detail
from tests import dates
from tests.factories import CandidateFactory, InterviewerFactory

pytestmark = pytest.mark.django_db

MONDAY = dates.monday(2)
ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"]


def at(day: int, hour: int = 0, minute: int = 0, tz="UTC"):
    return dates.at(MONDAY + timedelta(days=day), hour, minute, tz)


def uncached(user_ids, start, end, *, now):
    return free_time_detail(user_ids, start, end, now=now)


def both(monkeypatch, **search):
    """``match`` through the cache (twice: it may fill it, then reads it) and straight from the database."""
    cold = matcher.match(**search)
    warm = matcher.match(**search)
    with monkeypatch.context() as patched:
        patched.setattr(matcher, "free_time_cached", uncached)
        truth = matcher.match(**search)
    return cold, warm, truth


def _random_person(rng: random.Random, person) -> None:
    for _ in range(rng.randrange(0, 12)):
        start = at(rng.randrange(-3, 12), rng.randrange(0, 24), rng.choice([0, 15, 30, 45]))
        AvailabilityWindow.objects.create(user=person, start=start, end=start + timedelta(minutes=rng.randrange(30, 900, 15)))
    for _ in range(rng.randrange(0, 3)):
        start_hour, length = rng.randrange(0, 24), rng.randrange(1, 12)
        WeeklyRule.objects.create(user=person, weekdays=rng.sample(range(7), rng.randrange(1, 6)),
                                  start_time=f"{start_hour:02d}:{rng.choice([0, 30]):02d}",
                                  end_time=f"{(start_hour + length) % 24:02d}:00", timezone=rng.choice(ZONES))
    for _ in range(rng.randrange(0, 10)):
        start = at(rng.randrange(-5, 15), rng.randrange(0, 24), rng.choice([0, 30]))
        BusyPeriod.objects.create(user=person, start=start, end=start + timedelta(minutes=rng.randrange(15, 240, 15)),
                                  source=rng.choice(["manual", "interview", "ical"]))
    if rng.random() < 0.6:
        InterviewerPolicy.objects.create(user=person, buffer_before=rng.choice([0, 15, 60]),
                                         buffer_after=rng.choice([0, 30, 120]),
                                         min_notice=rng.choice([0, 60, 60 * 24 * 20]),
                                         max_per_day=rng.choice([None, 1, 2]))
    person.timezone = rng.choice(ZONES)
    person.save()


@pytest.mark.parametrize("seed", range(25))
def test_cached_answers_equal_the_databases(seed, monkeypatch):
    rng = random.Random(seed)
    candidate, panel = CandidateFactory(), [InterviewerFactory() for _ in range(rng.randrange(1, 3))]
    pool = [InterviewerFactory() for _ in range(rng.choice([0, 0, 2]))]
    for person in (candidate, *panel, *pool):
        _random_person(rng, person)
    now = timezone.now()
    monkeypatch.setattr(matcher.timezone, "now", lambda: now)
    for _ in range(3):  # ranges that start and end at any minute, the first maybe in the past
        start = at(rng.randrange(-2, 8), rng.randrange(0, 24), rng.randrange(0, 60))
        search = dict(candidate=candidate, interviewers=panel, pool=pool, pool_size=1 if pool else 0,
                      start=start, end=start + timedelta(minutes=rng.randrange(60, 60 * 24 * 9)),
                      duration=timedelta(minutes=rng.choice([30, 60, 90])), step=timedelta(minutes=rng.choice([15, 30, 60])),
                      tz=dates._zone(rng.choice(ZONES)))
        cold, warm, truth = both(monkeypatch, **search)
        assert cold == truth and warm == truth


# --- every write path, then the cached answer -------------------------------------------------------------

@pytest.fixture
def scene(hr_client, candidate, interviewer, monkeypatch):
    """A candidate and an interviewer free all of day 1 and day 2, and what /slots/ answers, checked against
    the answer straight from the database each time it is asked."""
    for person in (candidate, interviewer):
        AvailabilityWindow.objects.create(user=person, start=at(1), end=at(3))
    query = (f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}&tz=UTC"
             f"&start={dates.z(at(1))}&end={dates.z(at(3))}")

    def answer() -> list[str]:
        r = hr_client.get(query)
        assert r.status_code == 200, r.content
        with monkeypatch.context() as patched:  # neither the whole answer nor anyone's free time from the cache
            patched.setattr(views, "answer_cached", lambda search, people, compute: compute())
            patched.setattr(matcher, "free_time_cached", uncached)
            truth = hr_client.get(query).json()
        assert r.json() == truth
        return [s["start"][8:16] for s in r.json()["slots"]]

    return answer


def _changes(scene, write) -> None:
    before = scene()
    write()
    assert scene() != before, "the write changed nothing: the check would prove nothing"


def test_the_api_writes_of_windows_rules_and_busy_time(scene, candidate_client, interviewer_client):
    _changes(scene, lambda: interviewer_client.post("/api/v1/busy/", {"start": at(1, 9).isoformat(),
                                                                       "end": at(1, 12).isoformat()}, format="json"))
    busy = BusyPeriod.objects.get(source="manual")
    _changes(scene, lambda: interviewer_client.delete(f"/api/v1/busy/{busy.pk}/"))
    window = AvailabilityWindow.objects.filter(user__role="candidate").get()
    _changes(scene, lambda: candidate_client.patch(f"/api/v1/availability/{window.pk}/",
                                                   {"end": at(2, 10).isoformat()}, format="json"))
    _changes(scene, lambda: candidate_client.delete(f"/api/v1/availability/{window.pk}/"))
    _changes(scene, lambda: candidate_client.post("/api/v1/availability/weekly/", {
        "weekdays": list(range(7)), "start_time": "08:00", "end_time": "11:00", "timezone": "UTC"}, format="json"))
    rule = WeeklyRule.objects.get()
    _changes(scene, lambda: candidate_client.delete(f"/api/v1/availability/weekly/{rule.pk}/"))
    _changes(scene, lambda: candidate_client.post("/api/v1/availability/", [
        {"start": at(1, 4).isoformat(), "end": at(1, 6).isoformat()}], format="json"))


def test_policy_zone_bookings_and_their_changes(scene, hr_client, interviewer, interviewer_client):
    other = CandidateFactory()
    AvailabilityWindow.objects.create(user=other, start=at(1), end=at(3))
    booked = hr_client.post("/api/v1/interviews/", {"candidate": other.pk, "interviewers": [interviewer.pk],
                                                    "start": at(1, 10).isoformat()}, format="json")
    assert booked.status_code == 201, booked.content
    # a daily cap of one: the rest of the interviewer's day 1 is gone
    _changes(scene, lambda: hr_client.patch(f"/api/v1/users/{interviewer.pk}/policy",
                                            {"max_per_day": 1, "buffer_after": 60}, format="json"))
    # the interviewer's zone moves their local day (and so which day the cap fills)
    _changes(scene, lambda: interviewer_client.patch("/api/v1/me", {"timezone": "Pacific/Kiritimati"}, format="json"))
    pk = booked.json()["id"]
    _changes(scene, lambda: hr_client.patch(f"/api/v1/interviews/{pk}/", {"start": at(2, 23).isoformat()},
                                            format="json"))
    _changes(scene, lambda: hr_client.post(f"/api/v1/interviews/{pk}/cancel", {}, format="json"))
    again = hr_client.post("/api/v1/interviews/", {"candidate": other.pk, "interviewers": [interviewer.pk],
                                                   "start": at(2, 9).isoformat()}, format="json")
    assert again.status_code == 201
    _changes(scene, lambda: Interview.objects.get(pk=again.json()["id"]).delete())  # the admin's delete


def test_imports_provider_syncs_and_their_removal(scene, interviewer, interviewer_client):
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
           f"DTSTAMP:20200101T000000Z\r\nDTSTART:{at(1, 13):%Y%m%dT%H%M%SZ}\r\nDTEND:{at(1, 15):%Y%m%dT%H%M%SZ}\r\n"
           "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    _changes(scene, lambda: interviewer_client.post(
        "/api/v1/calendars/import/", {"file": SimpleUploadedFile("mine.ics", ics, "text/calendar")}))
    _changes(scene, lambda: CalendarSource.objects.get(user=interviewer).delete())  # its periods go with it
    answer = BusyAnswer({"primary": [(at(2, 8), at(2, 20))]})
    _changes(scene, lambda: store_busy(user_id=interviewer.pk, source="google", calendars=["primary"], answer=answer,
                                       start=at(0), end=at(10)))
    _changes(scene, lambda: BusyPeriod.objects.filter(source="google").update(end=at(2, 9)))
    _changes(scene, lambda: BusyPeriod.objects.update(end=at(2, 11)))  # the manager's own update()


def test_a_warm_search_reads_no_rows(hr_client, candidate, interviewer, django_assert_max_num_queries):
    for person in (candidate, interviewer):
        AvailabilityWindow.objects.bulk_create(AvailabilityWindow(user=person, start=at(d, 9), end=at(d, 17))
                                               for d in range(60))
    query = (f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}"
             f"&start={dates.z(at(0))}&end={dates.z(at(60))}")
    first = hr_client.get(query)
    with django_assert_max_num_queries(1):  # the participants; nobody's free time
        assert hr_client.get(query).json() == first.json()


def in_another_connection(call):
    """``call()``'s answer, run in a thread of its own: on its own database connection."""
    out = []

    def run():
        try:
            out.append(call())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second connection reading during a write")
def test_a_search_during_a_write_cannot_keep_the_old_answer(candidate, interviewer):
    """Another connection searches while a write is not yet committed: it reads the old rows under the new
    version; the version set at the commit makes that entry unreachable."""
    for person in (candidate, interviewer):
        AvailabilityWindow.objects.create(user=person, start=at(1, 9), end=at(1, 12))
    search = dict(candidate=candidate, interviewers=[interviewer], start=at(1), end=at(2),
                  duration=timedelta(minutes=60), step=timedelta(minutes=60), tz=dates._zone("UTC"))

    with transaction.atomic():
        BusyPeriod.objects.create(user=interviewer, start=at(1, 9), end=at(1, 11), source="manual")
        during = in_another_connection(lambda: [s.start.hour for s, _ in matcher.match(**search).slots])
    assert during == [9, 10, 11]  # the other connection saw the rows before the commit
    assert [s.start.hour for s, _ in matcher.match(**search).slots] == [11]


def test_whole_days_cover_the_range():
    from slots.free_time_cache import whole_days

    start, end = at(1, 10, 5), at(3, 0)
    assert whole_days(start, end) == (at(1), at(3))
    assert whole_days(at(1), at(1, 0, 1)) == (at(1), at(2))
    assert whole_days(at(1, 3, tz="Asia/Kolkata"), at(1, 4, tz="Asia/Kolkata")) == (at(0), at(1))
    assert isinstance(MONDAY, date) and Interval(start, end).start < end


# --- this process's copies of the entries -------------------------------------------------------------------

def _search(candidate, interviewer, *, later_seconds=0):
    # ranges that differ by seconds, in the same whole days (the entries' key)
    return dict(candidate=candidate, interviewers=[interviewer], start=at(0) + timedelta(seconds=later_seconds), end=at(5),
                duration=timedelta(minutes=60), step=timedelta(minutes=30), tz=dates._zone("UTC"))


@pytest.fixture
def week_free(candidate, interviewer):
    for person in (candidate, interviewer):
        AvailabilityWindow.objects.bulk_create(AvailabilityWindow(user=person, start=at(d, 9), end=at(d, 17))
                                               for d in range(5))


def _shared_reads(monkeypatch) -> list[str]:
    """The keys of free-time entries read from the shared cache from now on."""
    from slots import free_time_cache

    read: list[str] = []
    real = free_time_cache.cache.get_many

    def get_many(keys):
        read.extend(k for k in keys if k.startswith("free-time:"))
        return real(keys)

    monkeypatch.setattr(free_time_cache.cache, "get_many", get_many)
    return read


@contextmanager
def no_free_time_rows_read():
    """Fails if the block reads anyone's windows, rules or busy periods from the database (a cache kept in
    the database may still be read)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        yield
    tables = ("slots_availabilitywindow", "slots_weeklyrule", "slots_busyperiod")
    assert not [q["sql"] for q in seen.captured_queries if any(t in q["sql"] for t in tables)]


def test_a_process_reuses_its_copies_while_the_versions_stand(week_free, candidate, interviewer, monkeypatch):
    first = matcher.match(**_search(candidate, interviewer))
    read = _shared_reads(monkeypatch)
    with no_free_time_rows_read():
        again = matcher.match(**_search(candidate, interviewer, later_seconds=1))
    assert read == [] and again.slots == first.slots and len(first.slots) == 5 * 15


def test_a_write_makes_the_copy_unusable(week_free, candidate, interviewer):
    matcher.match(**_search(candidate, interviewer))
    BusyPeriod.objects.create(user=interviewer, start=at(0, 9), end=at(4, 17), source="manual")
    assert matcher.match(**_search(candidate, interviewer)).slots == []


def test_an_entry_from_another_process_is_used_and_copied(week_free, candidate, interviewer, monkeypatch):
    from slots.free_time_cache import copies

    first = matcher.match(**_search(candidate, interviewer))
    copies.clear()  # as another process finds it: only in the shared cache
    read = _shared_reads(monkeypatch)
    with no_free_time_rows_read():
        assert matcher.match(**_search(candidate, interviewer, later_seconds=1)).slots == first.slots
    assert len(read) == 2  # both people's entries, from the shared cache
    read.clear()
    matcher.match(**_search(candidate, interviewer, later_seconds=2))
    assert read == []  # now this process's copies


def test_entries_expire_in_both_tiers(week_free, candidate, interviewer, monkeypatch):
    """An entry older than ENTRY_SECONDS is not used even under the current version (what bounds a version
    lost to an outage): the next search reads the database."""
    from slots import free_time_cache

    matcher.match(**_search(candidate, interviewer))
    # a write the versions never heard of (as if the cache was down when it committed)
    from slots import models

    monkeypatch.setattr(models, "touch", lambda ids: None)
    BusyPeriod.objects.bulk_create([BusyPeriod(user=interviewer, start=at(0, 9), end=at(4, 17), source="manual")])
    assert matcher.match(**_search(candidate, interviewer)).slots != []  # still the kept entry
    later = free_time_cache.clock.time() + free_time_cache.ENTRY_SECONDS + 1
    monkeypatch.setattr(free_time_cache.clock, "time", lambda: later)
    assert matcher.match(**_search(candidate, interviewer)).slots == []


def test_copies_keep_the_latest_used_within_their_size():
    """The limit counts intervals, not entries: someone whose free time is in many pieces takes the room of
    many people, and an entry larger than all of it is not kept."""
    from slots.free_time_cache import Entry, _Copies
    from slots.policy import DEFAULT_POLICY
    from slots.selectors import Schedule

    def entry(pieces: int) -> Entry:
        return Entry("1", 0.0, Schedule([Interval(at(0, 0, k), at(0, 0, k) + timedelta(seconds=1))
                                         for k in range(pieces)], [], DEFAULT_POLICY))

    kept = _Copies(limit=10)  # each entry counts its intervals and one more
    kept.keep({"a": entry(2), "b": entry(2)})
    assert kept.get("a") is not None  # a is now the latest used: b, a
    kept.keep({"c": entry(3)})  # 3 + 3 + 4 = 10: all fit (b, a, c)
    kept.keep({"d": entry(1)})  # 12: the least recently used, b, goes
    assert [k for k in "abcd" if kept.get(k) is not None] == ["a", "c", "d"]
    kept.keep({"a": entry(0)})  # kept again, smaller: its room is counted once (1 + 4 + 2 = 7)
    kept.keep({"e": entry(2)})  # 10
    assert [k for k in "acde" if kept.get(k) is not None] == ["a", "c", "d", "e"]
    kept.keep({"huge": entry(20)})  # larger than the limit: not kept, and it pushes nothing out
    assert [k for k in "acde" if kept.get(k) is not None] == ["a", "c", "d", "e"]
    assert kept.get("huge") is None


def test_an_entry_of_an_older_shape_is_read_again(week_free, candidate, interviewer):
    """A shared entry written by an older release (a version and a schedule) is not used: the database is read."""
    from slots.free_time_cache import _KEY, copies, whole_days
    from slots.versions import current
    from django.core.cache import cache

    search = _search(candidate, interviewer)
    first, last = whole_days(search["start"], search["end"])
    versions = current([interviewer.pk])
    cache.set(_KEY.format(pk=interviewer.pk, start=first, end=last), (versions[interviewer.pk], "not a schedule"))
    copies.clear()
    assert len(matcher.match(**search).slots) == 5 * 15
