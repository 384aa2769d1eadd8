"""The iCal importer's parser on calendars shaped like Google, Outlook and Apple exports."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.ical.parse import CalendarError, Limits, parse_calendar
from slots.intervals import UTC, Interval, merge, slots, subtract

FIXTURES = Path(__file__).parent / "fixtures"
MARCH = Interval(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))


@pytest.fixture(autouse=True, scope="module")
def _clock_before_the_fixtures():
    """The fixtures are real exports with fixed dates in 2027 and the parser takes its window explicitly; the clock
    is frozen a little before them so that nothing here depends on today's date (see tests/dates.py elsewhere)."""
    with time_machine.travel(datetime(2027, 2, 15, 12, tzinfo=UTC)):
        yield


def u(month, day, hour, minute=0):
    return datetime(2027, month, day, hour, minute, tzinfo=UTC)


def parse(name, kind="busy", tz="UTC", window=MARCH, **limits):
    content = (FIXTURES / name).read_bytes() if name.endswith(".ics") else name.encode()
    return parse_calendar(content, kind=kind, tz=ZoneInfo(tz), window=window, limits=Limits(**limits)).periods


def test_google_export():
    found = parse("google.ics", tz="America/New_York", window=Interval(u(3, 1, 0), u(3, 20, 0)))
    assert found == [
        Interval(u(3, 1, 14, 30), u(3, 1, 15)),  # standup, 09:30 EST
        Interval(u(3, 4, 20), u(3, 4, 21)),  # UTC event; the 3rd is an EXDATE
        Interval(u(3, 5, 5), u(3, 6, 5)),  # all-day, the user's local day
        Interval(u(3, 8, 14, 30), u(3, 8, 15)),
        Interval(u(3, 10, 14, 30), u(3, 10, 15)),
        Interval(u(3, 15, 15), u(3, 15, 15, 30)),  # the RECURRENCE-ID override, 11:00 EDT
        Interval(u(3, 17, 13, 30), u(3, 17, 14)),  # 09:30 EDT after the DST change
    ]  # the transparent and the cancelled events are not busy


def test_outlook_export_with_windows_zone_names():
    assert parse("outlook.ics") == [
        Interval(u(3, 12, 22), u(3, 12, 23)),  # 14:00 PST
        Interval(u(3, 13, 22), u(3, 13, 23)),
        Interval(u(3, 14, 21), u(3, 14, 22)),  # 14:00 PDT: the series crosses the change
        Interval(u(3, 15, 21), u(3, 15, 22)),  # COUNT=4 ends here
    ]


def test_outlook_free_event_counts_as_available_time():
    assert Interval(u(3, 12, 20), u(3, 12, 21)) in parse("outlook.ics", kind="available")


def test_apple_export_with_duration_alarm_and_multi_day_event():
    assert parse("apple.ics", tz="Europe/Berlin") == [
        Interval(u(3, 21, 23), u(3, 23, 23)),  # two all-day days in Berlin
        Interval(u(3, 26, 9), u(3, 26, 10)),  # 10:00 CET
        Interval(u(3, 29, 7), u(3, 29, 8, 30)),  # 09:00 CEST for PT90M
    ]


def test_vfreebusy_busy_and_free():
    assert parse("freebusy.ics") == [
        Interval(u(3, 8, 9), u(3, 8, 10)),
        Interval(u(3, 8, 14), u(3, 8, 14, 30)),  # tentative is busy too
        Interval(u(3, 10, 9), u(3, 10, 9, 30)),
        Interval(u(3, 10, 11), u(3, 10, 11, 30)),
    ]
    assert parse("freebusy.ics", kind="available") == [Interval(u(3, 9, 9), u(3, 9, 12))]


def test_imported_busy_time_changes_the_slots():
    free = [Interval(u(3, 17, 12), u(3, 17, 16))]  # 12:00-16:00 UTC on Wednesday 17 March
    busy = parse("google.ics", tz="America/New_York")
    found = slots(subtract(free, merge(busy)), duration=timedelta(hours=1), step=timedelta(minutes=30),
                  tz=UTC)
    assert [s.start.strftime("%H:%M") for s in found] == ["12:00", "12:30", "14:00", "14:30", "15:00"]


def test_window_bounds_an_unbounded_series():
    daily = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART:19990101T100000Z\r\n"
        "DTEND:19990101T110000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    found = parse(daily)
    assert len(found) == 31 and found[0].start == u(3, 1, 10) and found[-1].start == u(3, 31, 10)


def test_floating_times_are_the_users_local_time():
    floating = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20270303T100000\r\n"
        "DTEND:20270303T110000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert parse(floating, tz="Asia/Kolkata") == [Interval(u(3, 3, 4, 30), u(3, 3, 5, 30))]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "not an iCalendar"),
        ("hello world", "not an iCalendar"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:zz\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
         r"event with UID zz \(line 4\) has a start time that cannot be read"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\nDTSTART:20270301T100000Z\r\nRRULE:FREQ=DAILY;UNTIL=oops\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n", r"UID r \(line 5\) has a repeat rule that cannot be read"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270301T100000Z\r\nRRULE:FREQ=SECONDLY\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n", "repeats every second; at most daily"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270301T100000Z\r\nRRULE:FREQ=HOURLY\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n", "repeats every hour; at most daily"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:19000301T100000Z\r\n"
         "RRULE:FREQ=DAILY;BYHOUR=1,2,3,4,5,6;BYMINUTE=0,10,20,30,40,50\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
         "more than 24 times a day"),
        ("BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\n" * 5000 + "END:VEVENT\r\n" * 5000 + "END:VCALENDAR\r\n",
         "nested too deeply|could not be read|events could be read"),
    ],
)
def test_hostile_or_broken_calendars_raise_calendar_error(content, message):
    with pytest.raises(CalendarError) as caught:
        parse(content)
    assert re.search(message, " ".join(caught.value.messages)), caught.value.messages
    assert all(_plain(m) for m in caught.value.messages), caught.value.messages


def _plain(message: str) -> bool:
    """One line of plain words: no exception text, no raw file lines, ends like a sentence."""
    return (
        "\n" not in message and "\r" not in message and len(message) < 400 and message.rstrip().endswith(".")
        and not re.search(r"Error\b|Exception|Traceback|object has no attribute|'[A-Z-]+'|vBroken|NoneType", message)
        and "BEGIN:" not in message
    )


def test_too_many_events_in_the_window():
    daily = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART:20270101T100000Z\r\n"
        "DTEND:20270101T110000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(CalendarError, match="more than 10 events"):
        parse(daily, max_periods=10)


def test_oversized_content():
    with pytest.raises(CalendarError, match="larger than"):
        parse("BEGIN:VCALENDAR\r\n" + "X" * 5000, max_bytes=1024)


def test_wrong_encodings_are_read_or_refused_cleanly():
    latin1 = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:l\r\nSUMMARY:Réunion\r\nDTSTART:20270303T100000Z\r\n"
              "DTEND:20270303T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode("latin-1")
    assert len(parse_calendar(latin1, kind="busy", tz=UTC, window=MARCH).periods) == 1
    utf16 = latin1.decode("latin-1").encode("utf-16")
    assert len(parse_calendar(utf16, kind="busy", tz=UTC, window=MARCH).periods) == 1
    with pytest.raises(CalendarError):
        parse_calendar(b"\xff\xfe\x00\xd8garbage", kind="busy", tz=UTC, window=MARCH)


GOOGLE = (FIXTURES / "google.ics").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.tuples(st.integers(0, len(GOOGLE) - 1), st.binary(max_size=8)), max_size=6).map(
            lambda edits: _mangle(GOOGLE, edits)
        ),
        st.lists(st.integers(0, GOOGLE.count(b"\r\n")), max_size=10).map(lambda cuts: _drop_lines(GOOGLE, cuts)),
    )
)
def test_mangled_calendars_never_escape_as_anything_but_calendar_error(data):
    try:
        found = parse_calendar(data, kind="busy", tz=ZoneInfo("America/New_York"), window=MARCH).periods
    except CalendarError as exc:
        assert all(_plain(m) for m in exc.messages), exc.messages
        return
    assert all(p.end > p.start and MARCH.start <= p.start and p.end <= MARCH.end for p in found)


def _mangle(content: bytes, edits) -> bytes:
    data = bytearray(content)
    for position, replacement in edits:
        data[position:position + len(replacement)] = replacement
    return bytes(data)


def _drop_lines(content: bytes, cuts) -> bytes:
    lines = content.split(b"\r\n")
    return b"\r\n".join(line for i, line in enumerate(lines) if i not in set(cuts))
