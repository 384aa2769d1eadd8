"""Calendars built to cost a server time or memory (the shapes reported in issue 8), for tests and bench/."""


def _calendar(body: str) -> bytes:
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\n{body}END:VCALENDAR\r\n".encode()


HOURS = ",".join(str(h) for h in range(24))


def year_one_every_hour() -> bytes:
    """268 bytes: every hour since year 1."""
    return _calendar(f"BEGIN:VEVENT\r\nUID:h\r\nDTSTART:00010101T000000Z\r\nRRULE:FREQ=DAILY;BYHOUR={HOURS}\r\n"
                     "END:VEVENT\r\n")


def counted_every_hour_since_1800() -> bytes:
    """The same with a COUNT (so it cannot be moved to the window) from the earliest year allowed."""
    return _calendar(f"BEGIN:VEVENT\r\nUID:c\r\nDTSTART:18000101T000000Z\r\nDURATION:PT30M\r\n"
                     f"RRULE:FREQ=DAILY;COUNT=999999999;BYHOUR={HOURS}\r\nEND:VEVENT\r\n")


def many_dense_yearly_series(count: int = 100) -> bytes:
    """About 23 KB: yearly series with hundreds of occurrences a year, counted from 1800 (a COUNT is counted
    from the first date, so each walks some 76,000 occurrences before the window: over ten seconds in all on
    a quiet machine; 25 series from 1900 took under two, and so passed as a calendar)."""
    days = ",".join(str(d) for d in range(1, 29))
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:y{n}\r\nDTSTART:18000101T0{n % 10}0000Z\r\nDURATION:PT1M\r\n"
        f"RRULE:FREQ=YEARLY;COUNT=99999999;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY={days}\r\nEND:VEVENT\r\n"
        for n in range(count)
    )
    return _calendar(body)


def never_matching_rule() -> bytes:
    """About 220 bytes: a daily rule that never happens (30 February), walked to the year 9999."""
    return _calendar("BEGIN:VEVENT\r\nUID:n\r\nDTSTART:20200101T100000Z\r\nDURATION:PT1H\r\n"
                     "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\nEND:VEVENT\r\n")


def huge_timezone(transitions: int = 12000) -> bytes:
    """About 1 MB: a VTIMEZONE with thousands of transitions, used by a daily series."""
    parts = []
    for n in range(transitions):
        year = 1700 + n // 2
        kind, offsets = ("DAYLIGHT", ("+0100", "+0200")) if n % 2 == 0 else ("STANDARD", ("+0200", "+0100"))
        parts.append(f"BEGIN:{kind}\r\nDTSTART:{year:04d}{3 if n % 2 == 0 else 10:02d}25T020000\r\n"
                     f"TZOFFSETFROM:{offsets[0]}\r\nTZOFFSETTO:{offsets[1]}\r\nRRULE:FREQ=YEARLY;BYMONTH={3 if n % 2 == 0 else 10};BYDAY=-1SU\r\nEND:{kind}\r\n")
    zone = "BEGIN:VTIMEZONE\r\nTZID:Custom Zone\r\n" + "".join(parts) + "END:VTIMEZONE\r\n"
    event = ("BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Custom Zone:20200101T100000\r\nDURATION:PT1H\r\n"
             "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n")
    return _calendar(zone + event)


HOSTILE = {
    "year one, every hour (268 B)": year_one_every_hour,
    "every hour since 1800, counted": counted_every_hour_since_1800,
    "100 dense yearly series (23 KB)": many_dense_yearly_series,
    "a rule that never matches": never_matching_rule,
    "a 1 MB VTIMEZONE": huge_timezone,
}
