"""An iCalendar file to busy or available periods. No Django here.

Parsed with ``icalendar``; recurrences (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) expanded with
``recurring-ical-events`` inside a bounded window, which also applies Google's X-WR-TIMEZONE; Outlook's
Windows zone names are mapped by ``icalendar``. Floating times and all-day dates are read in the user's zone.
Cancelled events, and transparent ones when reading busy time, are left out. VFREEBUSY periods count too.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import recurring_ical_events
from icalendar import Calendar

from slots.intervals import UTC, Interval, merge

# dateutil walks a rule from its DTSTART on every query: sub-daily rules (or rules with many BYHOUR x
# BYMINUTE x BYSECOND values a day) that started long ago would take minutes. Real calendars don't use them.
_TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
_MAX_PER_DAY = 24


class CalendarError(Exception):
    """A calendar we cannot read; the message says why, in one sentence for the user."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 2 * 1024 * 1024
    max_periods: int = 5000
    max_seconds: float = 5.0


def decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise CalendarError("The calendar's UTF-16 text is not valid.") from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # old Outlook exports


def _aware(value: date | datetime, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    return datetime.combine(value, time(0), tzinfo=tz)  # an all-day date: the user's local midnight


def _interval(start, end, tz: tzinfo) -> Interval | None:
    start_dt = _aware(start, tz).astimezone(UTC)
    end_dt = _aware(end, tz).astimezone(UTC)
    return Interval(start_dt, end_dt) if end_dt > start_dt else None


_TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "FREEBUSY"}


def _check_components(calendar: Calendar) -> None:
    """Refuse events whose times cannot be read: skipping them would silently lose busy time."""
    for component in [*calendar.walk("VEVENT"), *calendar.walk("VFREEBUSY")]:
        for name, message in getattr(component, "errors", []):
            if str(name).upper() in _TIME_PROPERTIES:
                uid = str(component.get("UID", "without a UID"))[:100]
                raise CalendarError(f"The event {uid} has an unreadable {name}: {str(message)[:100]}.")


def _check_recurrences(calendar: Calendar) -> None:
    for component in calendar.walk("VEVENT"):
        rules = component.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            freq = str(rule.get("FREQ", [""])[0]).upper()
            if freq in _TOO_FREQUENT:
                raise CalendarError(f"Events repeating {freq.lower()} are not supported; at most daily.")
            per_day = 1
            for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
                per_day *= max(1, len(rule.get(part, [])))
            if per_day > _MAX_PER_DAY:
                raise CalendarError("Events repeating more than 24 times a day are not supported.")


def _event_end(event, start):
    end = event.get("DTEND")
    if end is not None:
        return end.dt
    duration = event.get("DURATION")
    if duration is not None:
        return start + duration.dt
    # RFC 5545: without DTEND or DURATION, a date lasts one day and a date-time is an instant
    return start + timedelta(days=1) if not isinstance(start, datetime) else start


def parse_calendar(
    content: bytes,
    *,
    kind: str,
    tz: tzinfo,
    window: Interval,
    limits: Limits = Limits(),
) -> list[Interval]:
    """The merged periods (busy, or available when ``kind == "available"``) inside ``window``."""
    if len(content) > limits.max_bytes:
        raise CalendarError(f"The calendar is larger than {limits.max_bytes // 1024} KiB.")
    text = decode(content)
    if "BEGIN:VCALENDAR" not in text.upper():
        raise CalendarError("This is not an iCalendar file (no BEGIN:VCALENDAR).")
    deadline = clock.monotonic() + limits.max_seconds
    try:
        calendar = Calendar.from_ical(text)
        _check_components(calendar)
        _check_recurrences(calendar)
        periods = _events(calendar, kind=kind, tz=tz, window=window, limits=limits, deadline=deadline)
        periods += _freebusy(calendar, kind=kind, tz=tz, window=window)
    except CalendarError:
        raise
    except RecursionError:
        raise CalendarError("The calendar is nested too deeply.") from None
    except Exception as exc:  # icalendar and dateutil raise many kinds of errors on malformed input
        raise CalendarError(f"The calendar could not be read: {str(exc)[:200] or type(exc).__name__}.") from None
    if len(periods) > limits.max_periods:
        raise CalendarError(f"The calendar has more than {limits.max_periods} events in the import window.")
    clipped = [Interval(max(p.start, window.start), min(p.end, window.end)) for p in periods]
    return merge(p for p in clipped if p.end > p.start)


def _events(calendar, *, kind, tz, window, limits, deadline) -> list[Interval]:
    periods: list[Interval] = []
    query = recurring_ical_events.of(calendar)
    # start a day early: an event that began before the window may still run into it
    for event in query.after(window.start - timedelta(days=1)):
        if clock.monotonic() > deadline:
            raise CalendarError("The calendar took too long to read; it may repeat too often.")
        start = event["DTSTART"].dt
        if _aware(start, tz) >= window.end:
            break
        status = str(event.get("STATUS", "")).upper()
        if status == "CANCELLED":
            continue
        if kind == "busy" and str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        found = _interval(start, _event_end(event, start), tz)
        if found and found.end > window.start:
            periods.append(found)
            if len(periods) > limits.max_periods:
                raise CalendarError(f"The calendar has more than {limits.max_periods} events in the import window.")
    return periods


def _freebusy(calendar, *, kind, tz, window) -> list[Interval]:
    periods: list[Interval] = []
    for component in calendar.walk("VFREEBUSY"):
        values = component.get("FREEBUSY")
        for prop in values if isinstance(values, list) else [values] if values is not None else []:
            fbtype = str(prop.params.get("FBTYPE", "BUSY")).upper()
            if (fbtype == "FREE") != (kind == "available"):
                continue
            for period in prop.dts if hasattr(prop, "dts") else [prop]:
                start, end_or_duration = period.dt
                end = start + end_or_duration if isinstance(end_or_duration, timedelta) else end_or_duration
                found = _interval(start, end, tz)
                if found and found.end > window.start and found.start < window.end:
                    periods.append(found)
    return periods
