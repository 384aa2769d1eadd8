"""Calendars shaped like real exports (Google, Outlook in a Windows zone, Apple, a file with bad events, an
icalstream), made from templates for today's date, each checked against the exact busy periods it must give:
by the parser itself, and through the API (the bounded child process and the database)."""

from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.ical.parse import CalendarError, parse_calendar
from slots.intervals import UTC, Interval
from slots.models import BusyPeriod
from tests.conftest import assert_error
from tests.integrations.real_calendars import cases, clip
from tests.integrations.test_ical_parse import _plain

NOW = datetime.now(dt_timezone.utc)
TODAY = NOW.date()
CASES = cases(TODAY)
WINDOW = Interval(datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC),
                  datetime.combine(TODAY + timedelta(days=60), datetime.min.time(), tzinfo=UTC))
# a day a month ahead, for the events of the bad files below (what is wrong with them is not their date)
DAY = TODAY + timedelta(days=30)


@pytest.mark.parametrize("name", sorted(CASES))
def test_parser_gives_exactly_the_busy_periods(name):
    case = CASES[name]
    result = parse_calendar(case.content, kind="busy", tz=ZoneInfo(case.user_zone), window=WINDOW)
    assert result.periods == clip(case.expected, WINDOW)
    assert sorted(s.uid for s in result.skipped) == sorted(case.skipped_uids)
    assert len(result.warnings) == case.warnings
    assert all(_plain(s.reason) for s in result.skipped) and all(_plain(w) for w in result.warnings)


def test_one_bad_event_reports_name_line_and_reason():
    case = CASES["one_bad_event"]
    result = parse_calendar(case.content, kind="busy", tz=ZoneInfo(case.user_zone), window=WINDOW)
    reasons = {s.uid: s for s in result.skipped}
    assert reasons["bad-start@nextcloud"].summary == "Broken start"
    assert reasons["bad-start@nextcloud"].reason == (
        'The event "Broken start" (line 14) has a start time that cannot be read.')
    assert reasons["negative@nextcloud"].reason == 'The event "Backwards" (line 27) has a negative length, so it takes no time.'
    assert reasons["zero@nextcloud"].reason.startswith('The event "Nothing at all" (line 33) has a zero length')
    assert result.warnings == [
        'The event "Call with Olympus" (line 38) uses the time zone "Mars/Olympus_Mons", which is not known; '
        "its times were read in your time zone (America/Chicago)."
    ]


def test_available_kind_reads_transparent_events_too():
    case = CASES["google_daily"]
    busy = parse_calendar(case.content, kind="busy", tz=ZoneInfo(case.user_zone), window=WINDOW).periods
    available = parse_calendar(case.content, kind="available", tz=ZoneInfo(case.user_zone), window=WINDOW).periods
    assert len(available) >= len(busy)  # the yearly anniversary is transparent: available, not busy


def test_cost_does_not_depend_on_how_old_a_series_is():
    """The series are moved to the window before they are expanded: a daily event begun in year 1850 costs the
    same rule walk as one begun last month, and its occurrences in the window are the same."""
    template = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:old\r\nDTSTART;TZID=Europe/Berlin:{start}T093000\r\n"
                "DTEND;TZID=Europe/Berlin:{start}T100000\r\nRRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    for rule in ("FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=DAILY;INTERVAL=3", "FREQ=MONTHLY;BYDAY=2TU",
                 "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY=15", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"):
        # the same lattice: old starts a whole number of rule periods (here 7 x 3 x 4 weeks = 12 x 7 days) before
        young_start = TODAY - timedelta(days=84 * 10)
        old_start = young_start - timedelta(days=84 * 700)
        if rule.startswith(("FREQ=MONTHLY", "FREQ=YEARLY")):
            young_start = young_start.replace(day=10)
            old_start = young_start.replace(year=young_start.year - 120)
        found = [parse_calendar(template.format(start=s.strftime("%Y%m%d"), rule=rule).encode(), kind="busy",
                                tz=UTC, window=WINDOW).periods for s in (old_start, young_start)]
        assert found[0] == found[1] and found[0], rule


def test_nothing_readable_is_an_error_with_every_reason_in_plain_words():
    bad = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:First\r\nDTSTART:nope\r\nEND:VEVENT\r\n"
           f"BEGIN:VEVENT\r\nUID:b\r\nDTSTART:{DAY:%Y%m%d}T100000Z\r\nDURATION:-P1D\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(CalendarError) as caught:
        parse_calendar(bad.encode(), kind="busy", tz=UTC, window=WINDOW)
    assert caught.value.messages == [
        "None of the calendar's 2 events could be read.",
        'The event "First" (line 5) has a start time that cannot be read.',
        "The event with UID b (line 10) has a negative length, so it takes no time.",
    ]


pytestmark_db = pytest.mark.django_db


def upload(client, content: bytes, name="cal.ics", **fields):
    return client.post("/api/v1/calendars/import/", {"file": SimpleUploadedFile(name, content), **fields},
                       format="multipart")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_import_through_the_api_stores_exactly_the_busy_periods(candidate_client, candidate, name):
    case = CASES[name]
    candidate.timezone = case.user_zone
    candidate.save()
    started = datetime.now(dt_timezone.utc)
    r = upload(candidate_client, case.content, name=f"{name}.ics")
    assert r.status_code == 201, r.content
    body = r.json()
    assert sorted(s["uid"] for s in body["skipped"]) == sorted(case.skipped_uids)
    assert len(body["warnings"]) == case.warnings
    # compare inside a window both sides agree on (the service's window starts a day before its own now)
    window = Interval(started, started + timedelta(days=55))
    stored = [Interval(b.start, b.end) for b in BusyPeriod.objects.filter(user=candidate).order_by("start")]
    assert clip(stored, window) == clip(case.expected, window)
    assert body["periods"] == len(stored)


@pytest.mark.django_db
def test_skipped_and_warnings_are_kept_on_the_source_and_shown(candidate_client, candidate, hr, client):
    candidate.timezone = "America/Chicago"
    candidate.save()
    r = upload(candidate_client, CASES["one_bad_event"].content, name="personal.ics")
    assert r.status_code == 201
    assert {s["summary"] for s in r.json()["skipped"]} == {"Broken start", "Backwards", "Nothing at all"}
    assert all(set(s) == {"uid", "summary", "reason"} for s in r.json()["skipped"])
    from integrations.models import CalendarSource

    source = CalendarSource.objects.get(user=candidate, name="personal.ics")
    assert len(source.skipped) == 3 and len(source.warnings) == 1
    client.force_login(hr)
    page = client.get(f"/admin/integrations/calendarsource/{source.pk}/change/").content.decode()
    assert "Broken start" in page and "Mars/Olympus_Mons" in page
    # re-importing a clean file clears them
    r = upload(candidate_client, CASES["icalstream"].content, name="personal.ics")
    assert r.json()["skipped"] == [] and r.json()["warnings"] == []


BAD_FILES = {
    "broken nesting": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n",
    "two starts": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:two\r\nDTSTART:<day>T100000Z\r\n"
                  b"DTSTART:<next day>T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "list rdate": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Rdates\r\nDTSTART:<day>T100000Z\r\n"
                  b"DURATION:PT1H\r\nRDATE:x,y\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "no start": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:Floating idea\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "until oops": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:<day>T100000Z\r\nDURATION:PT1H\r\n"
                  b"RRULE:FREQ=DAILY;UNTIL=oops\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "bad freq": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:<day>T100000Z\r\nDURATION:PT1H\r\n"
                b"RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "mixed date kinds": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTART;VALUE=DATE:<day>\r\n"
                        b"DTEND:<day>T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "year one": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTART:00010101T000000Z\r\nDTEND:00010101T010000Z\r\n"
                b"RRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "multi-line garbage": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:g\r\nSUMMARY:Line one\\nline two\r\n"
                          b"DTSTART:<iso day> 10:00\r\n  folded junk\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "binary": b"\x00\xff" * 200,
    "utf16 garbage": b"\xff\xfe\x00\xd8garbage",
    "stream of nothing": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\nEND:VEVENT\r\n"
                         b"END:VCALENDAR\r\n",
}
# their dates: a day a month ahead
BAD_FILES = {label: content.replace(b"<day>", f"{DAY:%Y%m%d}".encode())
             .replace(b"<next day>", f"{DAY + timedelta(days=1):%Y%m%d}".encode())
             .replace(b"<iso day>", DAY.isoformat().encode()) for label, content in BAD_FILES.items()}


@pytest.mark.django_db
def test_every_message_about_a_bad_file_is_one_plain_sentence(candidate_client):
    for label, content in BAD_FILES.items():
        r = upload(candidate_client, content)
        messages = assert_error(r, 400, "validation_error")["fields"]["file"]
        assert messages and all(_plain(m) for m in messages), (label, messages)
        if b"UID:" in content and b"BEGIN:VEVENT" in content and label not in ("broken nesting",):
            assert any("event" in m.lower() for m in messages), (label, messages)
    # and in a file that is partly good, the reasons given for the bad events
    good = b"BEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20990101T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
    for label, content in BAD_FILES.items():
        if not content.startswith(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT") or label == "broken nesting":
            continue
        r = upload(candidate_client, content.replace(b"BEGIN:VCALENDAR\r\n", b"BEGIN:VCALENDAR\r\n" + good, 1))
        assert r.status_code == 201, (label, r.content)
        reasons = [s["reason"] for s in r.json()["skipped"]]
        assert reasons and all(_plain(m) for m in reasons), (label, reasons)


@pytest.mark.django_db
def test_subscriptions_of_these_shapes_sync_and_show_what_was_skipped(
        candidate_client, candidate, settings, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    """An old daily series syncs like any other; a file with bad events syncs the good ones and shows the rest."""
    from integrations.models import CalendarSource
    from integrations.services import subscription_sync
    from tests.integrations.calendar_server import calendar_server

    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    candidate.timezone = "America/Chicago"
    candidate.save()
    routes = {"/daily.ics": ("ics", CASES["google_daily"].content), "/mixed.ics": ("ics", CASES["one_bad_event"].content)}
    with calendar_server(routes) as (base, _):
        ids = {}
        for path in routes:
            with django_capture_on_commit_callbacks(execute=True):
                r = candidate_client.post("/api/v1/calendars/subscriptions/", {"url": base + path}, format="json")
            assert r.status_code == 201, r.content
            ids[path] = r.json()["id"]
        daily = candidate_client.get(f"/api/v1/calendars/subscriptions/{ids['/daily.ics']}/").json()
        assert daily["last_error"] == "" and daily["periods"] >= 170 and daily["skipped"] == []
        mixed = candidate_client.get(f"/api/v1/calendars/subscriptions/{ids['/mixed.ics']}/").json()
        assert mixed["last_error"] == "" and mixed["periods"] == 4
        assert sorted(s["uid"] for s in mixed["skipped"]) == sorted(CASES["one_bad_event"].skipped_uids)
        assert len(mixed["warnings"]) == 1
        # a sync's database work does not grow with the number of periods (bulk writes)
        CalendarSource.objects.filter(pk=ids["/daily.ics"]).update(etag="")
        with django_assert_max_num_queries(20):
            assert subscription_sync(source_id=ids["/daily.ics"]) == "synced"


def test_an_unknown_zone_in_a_calendar_with_x_wr_timezone_is_read_in_that_zone_and_says_so():
    day = TODAY + timedelta(days=3)
    content = (f"BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:America/New_York\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Call\r\n"
               f"DTSTART;TZID=Mars/X:{day:%Y%m%d}T100000\r\nDTEND;TZID=Mars/X:{day:%Y%m%d}T110000\r\n"
               f"END:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    result = parse_calendar(content, kind="busy", tz=ZoneInfo("Asia/Kolkata"), window=WINDOW)
    start = datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=ZoneInfo("America/New_York"))
    assert result.periods == [Interval(start.astimezone(UTC), (start + timedelta(hours=1)).astimezone(UTC))]
    assert result.warnings == ['The event "Call" (line 6) uses the time zone "Mars/X", which is not known; its '
                               "times were read in the calendar's time zone (America/New_York)."]
