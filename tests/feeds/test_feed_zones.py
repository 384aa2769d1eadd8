"""Every event's times, as a second parser (vobject, in a fresh process per file) reads the feed and the
invites, equal the database's: interviews from two weeks to two years ahead, in summer and in winter, for
people in New York and on Lord Howe Island (a 30-minute DST). Before core/ical_zones.py, summer interviews more
than a year past the zone data's start came out an hour late (New York) or 30 minutes early (Lord Howe)."""

import json
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from icalendar import Calendar

from core.ical_zones import transitions, vtimezone
from scheduling.invites import invite_calendar, invite_message
from scheduling.models import Interview, InviteMethod
from tests import dates
from tests.factories import CandidateFactory, InterviewerFactory

READ_WITH_VOBJECT = r"""
import json, sys
from datetime import timezone
import vobject
calendar = vobject.readOne(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({str(e.uid.value): [e.dtstart.value.astimezone(timezone.utc).isoformat(),
                                     e.dtend.value.astimezone(timezone.utc).isoformat()]
                  for e in calendar.vevent_list}))
"""

ZONES = ["America/New_York", "Australia/Lord_Howe"]


def read_in_fresh_process(content: bytes, tmp_path) -> dict:
    path = tmp_path / f"cal-{abs(hash(content))}.ics"
    path.write_bytes(content)
    out = subprocess.run([sys.executable, "-c", READ_WITH_VOBJECT, str(path)], capture_output=True, check=True,
                         timeout=60).stdout
    return {uid: tuple(datetime.fromisoformat(v) for v in times) for uid, times in json.loads(out).items()}


def interview_days(today: date) -> list[date]:
    """Two weeks ahead, then the 15th of every other month for two years: summer and winter on both
    hemispheres, and every DST season in between."""
    days = [today + timedelta(days=14)]
    year, month = today.year, today.month
    for _ in range(12):
        month += 2
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        days.append(date(year, month, 15))
    return days


@pytest.fixture
def people_and_interviews(db):
    made = {}
    today = datetime.now(dt_timezone.utc).date()
    for n, zone in enumerate(ZONES):
        candidate = CandidateFactory(email=f"cand{n}@example.com", timezone=zone)
        interviewer = InterviewerFactory(email=f"int{n}@example.com", timezone=zone)
        interviews = []
        for day in interview_days(today):
            start = datetime.combine(day, time(10, 30), tzinfo=ZoneInfo(zone)).astimezone(dt_timezone.utc)
            interview = Interview.objects.create(candidate=candidate, title=f"Interview {day}", start=start,
                                                 end=start + timedelta(minutes=45))
            interview.interviewers.set([interviewer])
            interviews.append(interview)
        made[zone] = (candidate, interviewer, interviews)
    return made


def feed_of(user) -> bytes:
    from core.feed_tokens import feed_url
    from django.test import RequestFactory

    url = feed_url(user, RequestFactory().get("/"))
    response = Client().get(url.split("testserver", 1)[1])
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("zone", ZONES)
def test_feed_times_as_vobject_reads_them_equal_the_database(people_and_interviews, zone, tmp_path):
    candidate, _, interviews = people_and_interviews[zone]
    read = read_in_fresh_process(feed_of(candidate), tmp_path)
    assert read == {i.uid: (i.start, i.end) for i in interviews}
    # and the times are written in the person's zone, not in UTC
    events = Calendar.from_ical(feed_of(candidate)).walk("VEVENT")
    assert {str(e["DTSTART"].params.get("TZID")) for e in events} == {zone}


@pytest.mark.parametrize("zone", ZONES)
def test_invite_times_as_vobject_reads_them_equal_the_database(people_and_interviews, zone, tmp_path):
    candidate, interviewer, interviews = people_and_interviews[zone]
    for interview in interviews:
        for content in (invite_calendar(interview, tz=ZoneInfo(zone)).to_ical(),
                        _attachment(invite_message(interview, interviewer, InviteMethod.REQUEST))):
            assert read_in_fresh_process(content, tmp_path) == {interview.uid: (interview.start, interview.end)}


def _attachment(message) -> bytes:
    (calendar,) = [body for body, mime in message.alternatives if mime.startswith("text/calendar")]
    return calendar.encode()


@pytest.mark.parametrize("zone", ZONES + ["Asia/Kolkata", "Europe/Dublin", "America/Sao_Paulo"])
def test_vtimezone_has_one_dtstart_per_transition_and_matches_zoneinfo(zone):
    tz = ZoneInfo(zone)
    year = dates.today().year  # five years from this one's start: the span a feed's zones cover
    first, last = datetime(year, 1, 1, tzinfo=dt_timezone.utc), datetime(year + 5, 1, 1, tzinfo=dt_timezone.utc)
    component = vtimezone(tz, first, last)
    text = component.to_ical().decode()
    assert "RDATE" not in text and "RRULE" not in text
    subs = component.subcomponents
    _, changes = transitions(tz, first, last)
    assert len(subs) == len(changes) + 1
    for sub, change in zip(subs[1:], changes):
        onset = sub.decoded("DTSTART")
        assert onset == (change.at + change.before.offset).replace(tzinfo=None)
        assert sub.decoded("TZOFFSETFROM") == change.before.offset and sub.decoded("TZOFFSETTO") == change.after.offset
        # zoneinfo agrees a second either side
        assert (change.at - timedelta(seconds=1)).astimezone(tz).utcoffset() == change.before.offset
        assert change.at.astimezone(tz).utcoffset() == change.after.offset


def test_lord_howe_changes_by_thirty_minutes():
    next_year = dates.today().year + 1
    _, changes = transitions(ZoneInfo("Australia/Lord_Howe"), datetime(next_year, 1, 1, tzinfo=dt_timezone.utc),
                             datetime(next_year + 1, 1, 1, tzinfo=dt_timezone.utc))
    assert [abs(c.after.offset - c.before.offset) for c in changes] == [timedelta(minutes=30)] * 2
