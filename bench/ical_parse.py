"""iCal import benchmark: parse time against the age of a series, and what hostile calendars cost.

    .venv/bin/python bench/ical_parse.py

1. A daily and a weekday (MO-FR) series in an Outlook Windows zone ("W. Europe Standard Time", with its
   16010101 VTIMEZONE) that began this month, 1, 3 and 10 years ago, parsed over a 180-day window: the
   in-process parse (median of 5) and the whole bounded child-process parse the API runs (median of 3).
   Target: flat in the age, under 0.2 s for the parse.
2. The hostile calendars of issue 8 through the child process with a 2 s limit: wall time (target: limit +
   1 s), the child's peak memory (VmHWM) and this process's growth (target: under 100 MB).
Prints figures; asserts nothing.
"""

import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.ical.parse import CalendarError, Limits, parse_calendar  # noqa: E402
from integrations.ical.sandbox import parse_in_child  # noqa: E402
from slots.intervals import Interval  # noqa: E402
from tests.integrations.hostile_calendars import HOSTILE  # noqa: E402

WINDOWS_ZONE = """BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def series(start: datetime, rule: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:Microsoft Exchange Server 2010\r\n" + WINDOWS_ZONE
        + "BEGIN:VEVENT\r\nUID:standup\r\nSUMMARY:Stand-up\r\n"
        f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%d}T093000\r\n"
        f"DTEND;TZID=W. Europe Standard Time:{start:%Y%m%d}T094500\r\n"
        f"RRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024


def main() -> None:
    now = datetime.now(timezone.utc)
    window = Interval(now - timedelta(days=1), now + timedelta(days=180))
    print("1. parse time against the age of the series (180-day window, W. Europe Standard Time)")
    print(f"   {'series':<28}{'began':>12}{'events':>8}{'parse (ms)':>12}{'child (ms)':>12}")
    for label, rule in (("daily", "FREQ=DAILY"), ("weekdays MO-FR", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;WKST=MO")):
        for age_label, days in (("this month", 0), ("1 year", 365), ("3 years", 3 * 365), ("10 years", 3652)):
            start = (now - timedelta(days=days)).replace(day=1)
            content = series(start, rule)
            times = []
            for _ in range(5):
                began = time.perf_counter()
                result = parse_calendar(content, kind="busy", tz=ZoneInfo("Europe/Berlin"), window=window)
                times.append(time.perf_counter() - began)
            child = []
            for _ in range(3):
                began = time.perf_counter()
                parse_in_child(content, kind="busy", tz="Europe/Berlin", window=window, limits=Limits(max_seconds=8),
                               max_memory_mb=100)
                child.append(time.perf_counter() - began)
            print(f"   {label:<28}{age_label:>12}{len(result.periods):>8}{statistics.median(times) * 1000:>12.1f}"
                  f"{statistics.median(child) * 1000:>12.0f}")

    limit = 2
    print(f"\n2. hostile calendars, parse limit {limit} s (target: 400 within {limit + 1} s, < 100 MB)")
    print(f"   {'calendar':<36}{'bytes':>9}{'wall (s)':>10}{'child peak MB':>15}{'our RSS +MB':>13}  answer")
    for name, make in HOSTILE.items():
        content = make()
        before = rss_mb()
        began = time.perf_counter()
        try:
            result = parse_in_child(content, kind="busy", tz="UTC", window=window, limits=Limits(max_seconds=limit),
                                    max_memory_mb=100)
            answer, peak = f"accepted ({len(result.periods)} periods)", result.peak_mb
        except CalendarError as exc:
            answer, peak = exc.messages[-1][:60], exc.peak_mb
        took = time.perf_counter() - began
        peak_text = "killed" if peak is None else f"{peak:.0f}"
        print(f"   {name:<36}{len(content):>9}{took:>10.2f}{peak_text:>15}{rss_mb() - before:>13.1f}  {answer}")


if __name__ == "__main__":
    main()
