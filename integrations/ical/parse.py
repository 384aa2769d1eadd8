"""An iCalendar file to busy or available periods. No Django here.

Parsed with ``icalendar``; recurrences (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) expanded with
``recurring-ical-events`` once per series over the import window (``between()``), which also applies Google's
X-WR-TIMEZONE; Outlook's Windows zone names are mapped by ``icalendar``. Floating times, all-day dates and
times in a zone nobody knows are read in the user's zone. Cancelled events, and transparent ones when
reading busy time, are left out. VFREEBUSY periods count too. A stream of several VCALENDARs is one calendar.

The cost does not grow with a series' age: an open-ended series (no COUNT) that began long before the window
is moved forward by whole periods of its rule (days, weeks, months or years, on the wall clock) so that the
rule is walked from just before the window, not from its first date. That keeps every occurrence inside the
window where it was: the rule's lattice of periods is unchanged, and the one possibly spurious occurrence at
the new start ends before the window.

One bad event does not sink the calendar: an event that cannot be placed in time is left out and reported in
``skipped`` with a one-sentence reason naming it (SUMMARY or UID, and the line of its BEGIN:VEVENT). A
calendar in which nothing at all can be read is a ``CalendarError``. Messages are our own words, never
exception text.

Time is bounded by ``Limits.max_seconds`` checked between series, and, when the caller passes a ``Guard``
(the sandboxed child does, see ``sandbox.py``), also *inside* each series' expansion by an interval timer.
"""

from __future__ import annotations

import re
import time as clock
import warnings
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import recurring_ical_events
from dateutil.relativedelta import relativedelta
from icalendar import Calendar
from icalendar.timezone import tzp
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slots.intervals import UTC, Interval, merge

# Rules that repeat more often than this are not real calendars; dateutil walks them slowly.
_TOO_FREQUENT = {"SECONDLY": "every second", "MINUTELY": "every minute", "HOURLY": "every hour"}
_MAX_PER_DAY = 24
_EARLIEST_YEAR = 1800  # birthdays go back a long way; year 1 is only ever an attack
_MAX_REPORTED = 100  # skipped events and warnings kept in the answer; the count says how many there were


class CalendarError(Exception):
    """A calendar we cannot read. ``messages`` are one-sentence reasons, the first is the headline."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.messages = [message, *(details or [])]
        self.peak_mb: float | None = None


class SeriesTooSlow(BaseException):
    """Raised by a Guard when one series takes longer than its share of the time (a BaseException, so that
    no library's ``except Exception`` swallows it)."""


class OutOfTime(BaseException):
    """Raised by a Guard when the whole parse is past its deadline."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 2 * 1024 * 1024
    max_periods: int = 5000
    max_seconds: float = 5.0
    series_seconds: float = 1.0


@dataclass(frozen=True)
class Skipped:
    uid: str
    summary: str
    reason: str

    def as_dict(self) -> dict:
        return {"uid": self.uid, "summary": self.summary, "reason": self.reason}


@dataclass
class Result:
    periods: list[Interval]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    peak_mb: float | None = None  # the parsing child's peak memory, when parsed in one


class Guard:
    """Bounds one series' expansion from the inside; the default does nothing (in-process parsing)."""

    def series(self, seconds: float) -> AbstractContextManager:
        return nullcontext()


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


# Google's birthday calendar writes a date with a UTC mark (``RDATE:20131210Z``); read it as the date it means.
_DATE_WITH_Z = re.compile(r"^(RDATE|EXDATE):(\d{8})Z[ \t]*$", re.IGNORECASE | re.MULTILINE)


_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE[ \t]*\r?\n(.*?)^END:VTIMEZONE(?=[ \t]*\r?$)",
                        re.IGNORECASE | re.MULTILINE | re.DOTALL)
_TZID = re.compile(r"^TZID(?:;[^:\r\n]*)?:([^\r\n]*)\r?$", re.IGNORECASE | re.MULTILINE)


def _known_zone(tzid: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return tzp.timezone(tzid.strip()) is not None
        except Exception:  # a lookup of a name from the file: any failure means "not known"
            return False


def _prefer_known_zones(text: str) -> str:
    """A VTIMEZONE whose TZID names a zone we know (an IANA name, or a Windows name such as "W. Europe Standard
    Time") is set aside, so that its times are read with zoneinfo: Outlook's and Google's VTIMEZONEs start their
    rules in 1601 or 1970, and reading every time through them walks those rules from the start (most of a
    Windows-zone calendar's parse time). The lines stay, renamed, so that line numbers do not move."""
    def replace(match: re.Match) -> str:
        tzid = _TZID.search(match.group(1))
        if tzid is None or not _known_zone(tzid.group(1)):
            return match.group(0)
        block = match.group(0)
        return "BEGIN:X-KNOWN-VTIMEZONE" + block[len("BEGIN:VTIMEZONE"):-len("END:VTIMEZONE")] + "END:X-KNOWN-VTIMEZONE"


    return _VTIMEZONE.sub(replace, text)


def _repair(text: str) -> str:
    text = _DATE_WITH_Z.sub(lambda m: f"{m.group(1)};VALUE=DATE:{m.group(2)}", text)
    return _prefer_known_zones(text)


def _clean(value, limit: int = 80) -> str:
    """Text from the file made safe for a one-line message."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- where each event is in the file


class _Lines:
    """Line numbers (1-based, physical lines) of each BEGIN:VEVENT and of the properties inside it."""

    def __init__(self, text: str):
        self.events: list[dict[str, int]] = []
        current: dict[str, int] | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line or line[0] in " \t":
                continue
            name = re.split(r"[;:]", line, maxsplit=1)[0].strip().upper()
            upper = line.strip().upper()
            if upper == "BEGIN:VEVENT":
                current = {"BEGIN": number}
                self.events.append(current)
            elif upper == "END:VEVENT":
                current = None
            elif current is not None and name and name not in current:
                current[name] = number

    def line(self, index: int | None, prop: str = "BEGIN") -> int | None:
        if index is None or index >= len(self.events):
            return None
        found = self.events[index]
        return found.get(prop, found["BEGIN"])


# ---------------------------------------------------------------- one event's checks


@dataclass
class _Event:
    component: object
    index: int | None  # position among the file's VEVENTs (for line numbers)
    uid: str
    summary: str

    def name(self) -> str:
        if self.summary:
            return f'The event "{_clean(self.summary, 60)}"'
        if self.uid:
            return f"The event with UID {_clean(self.uid, 60)}"
        return "An event without a summary or UID"

    def where(self, lines: _Lines, prop: str = "BEGIN") -> str:
        number = lines.line(self.index, prop)
        return f" (line {number})" if number else ""

    def skipped(self, lines: _Lines, reason: str, prop: str = "BEGIN") -> Skipped:
        return Skipped(uid=_clean(self.uid, 255), summary=_clean(self.summary, 255),
                       reason=f"{self.name()}{self.where(lines, prop)} {reason}")


_PROBLEMS = {
    "DTSTART": "has a start time that cannot be read",
    "DTEND": "has an end time that cannot be read",
    "DURATION": "has a duration that cannot be read",
    "RRULE": "has a repeat rule that cannot be read",
    "RDATE": "has extra dates that cannot be read",
    "EXDATE": "has excluded dates that cannot be read",
    "RECURRENCE-ID": "changes an occurrence whose date cannot be read",
    "EXRULE": "has an exclusion rule that cannot be read",
}


_WORDS = {"DTSTART": "start time", "DTEND": "end time", "DURATION": "duration", "RECURRENCE-ID": "occurrence date"}


def _single(component, name):
    value = component.get(name)
    if isinstance(value, list):
        raise _Problem(f"has more than one {_WORDS.get(name, name.lower())}", name)
    return value


class _Problem(Exception):
    def __init__(self, reason: str, prop: str = "BEGIN"):
        super().__init__(reason)
        self.reason, self.prop = reason, prop


def _length(component, start) -> timedelta:
    end = _single(component, "DTEND")
    duration = _single(component, "DURATION")
    if end is not None:
        end_value = end.dt
        if isinstance(start, datetime) != isinstance(end_value, datetime):
            raise _Problem("mixes a date and a date-time in its start and end", "DTEND")
        if isinstance(start, datetime) and (start.tzinfo is None) != (end_value.tzinfo is None):
            return _aware(end_value, UTC) - _aware(start, UTC)  # compared as written; read in one zone below
        return end_value - start
    if duration is not None:
        if not isinstance(duration.dt, timedelta):
            raise _Problem("has a duration that cannot be read", "DURATION")
        return duration.dt
    # RFC 5545: without DTEND or DURATION, a date lasts one day and a date-time is an instant
    return timedelta(days=1) if not isinstance(start, datetime) else timedelta(0)


def _check_event(event: _Event) -> list[str]:
    """Raises _Problem when the event cannot be placed in time; returns the names of unknown zones it uses."""
    component = event.component
    for name, _message in getattr(component, "errors", []):
        prop = str(name).upper()
        if prop in _PROBLEMS:
            raise _Problem(_PROBLEMS[prop], prop)
    start_prop = _single(component, "DTSTART")
    if start_prop is None:
        raise _Problem("has no start time")
    if not isinstance(start_prop.dt, (date, datetime)):
        raise _Problem("has a start time that is not a date", "DTSTART")
    if start_prop.dt.year < _EARLIEST_YEAR:
        raise _Problem(f"starts before the year {_EARLIEST_YEAR}, which no real event does", "DTSTART")
    _single(component, "RECURRENCE-ID")
    rules = component.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq in _TOO_FREQUENT:
            raise _Problem(f"repeats {_TOO_FREQUENT[freq]}; at most daily is supported", "RRULE")
        if freq not in {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}:
            raise _Problem("has a repeat rule without a valid frequency", "RRULE")
        per_day = 1
        for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            per_day *= max(1, len(rule.get(part, [])))
        if per_day > _MAX_PER_DAY:
            raise _Problem("repeats more than 24 times a day, which is not supported", "RRULE")
    length = _length(component, start_prop.dt)
    if length <= timedelta(0):
        prop = "DURATION" if component.get("DURATION") is not None else "DTEND" if component.get("DTEND") else "DTSTART"
        what = "negative" if length < timedelta(0) else "zero"
        raise _Problem(f"has a {what} length, so it takes no time", prop)
    unknown = []
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = component.get(name)
        tzid = prop.params.get("TZID") if prop is not None and hasattr(prop, "params") else None
        if tzid and isinstance(prop.dt, datetime) and prop.dt.tzinfo is None:
            unknown.append(str(tzid))
    return unknown


# ---------------------------------------------------------------- expansion


def _rebase(component, window_start: datetime, tz: tzinfo) -> None:
    """Move an open-ended series' DTSTART (and DTEND) forward by whole periods of its rule, to just before
    the window, so that expansion does not walk from its first date. Leaves anything unusual alone."""
    rules = component.get("RRULE")
    if rules is None or isinstance(rules, list) or component.get("RECURRENCE-ID") is not None:
        return
    if rules.get("COUNT"):
        return  # a COUNT is counted from the first date
    start = component["DTSTART"].dt
    freq = str(rules.get("FREQ", [""])[0]).upper()
    try:
        interval = max(1, int(rules.get("INTERVAL", [1])[0]))
    except (TypeError, ValueError):
        return
    length = _length(component, start)
    # the new start must end before the window (an extra occurrence there changes nothing), with a margin
    target = window_start - length - timedelta(days=2)
    start_utc = _aware(start, tz).astimezone(UTC)
    if start_utc >= target - timedelta(days=400 * interval):
        return  # young enough: nothing to gain
    if freq in ("DAILY", "WEEKLY"):
        step_days = interval * (7 if freq == "WEEKLY" else 1)
        steps = (target - start_utc).days // step_days

        def moved(n):
            return start + timedelta(days=n * step_days)  # wall-clock arithmetic keeps the local time
    elif freq in ("MONTHLY", "YEARLY"):
        if start.day > 28:
            return  # the month's length would change which day the rule means
        months = interval * (12 if freq == "YEARLY" else 1)
        steps = ((target.year - start_utc.year) * 12 + (target.month - start_utc.month)) // months

        def moved(n):
            return start + relativedelta(months=n * months)
    else:
        return
    # the last whole period that still starts before the target (at most two steps back from the estimate)
    while steps > 0 and _aware(moved(steps), tz).astimezone(UTC) > target:
        steps -= 1
    if steps <= 0:
        return
    new_start = moved(steps)
    shift = new_start - start
    component["DTSTART"].dt = new_start
    if component.get("DTEND") is not None:
        component["DTEND"].dt = component["DTEND"].dt + shift


def _aware(value: date | datetime, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    return datetime.combine(value, time(0), tzinfo=tz)  # an all-day date: the user's local midnight


def _interval(start, end, tz: tzinfo) -> Interval | None:
    start_dt = _aware(start, tz).astimezone(UTC)
    end_dt = _aware(end, tz).astimezone(UTC)
    return Interval(start_dt, end_dt) if end_dt > start_dt else None


def _occurrence_end(occurrence, start):
    end = occurrence.get("DTEND")
    if end is not None and not isinstance(end, list):
        return end.dt
    duration = occurrence.get("DURATION")
    if duration is not None and not isinstance(duration, list):
        return start + duration.dt
    return start + timedelta(days=1) if not isinstance(start, datetime) else start


def _series_calendar(calendar: Calendar, zones: list, components: list) -> Calendar:
    series = Calendar()
    if "X-WR-TIMEZONE" in calendar:
        series["X-WR-TIMEZONE"] = calendar["X-WR-TIMEZONE"]
    for zone in zones:
        series.add_component(zone)
    for component in components:
        series.add_component(component)
    return series


def _is_single(group: list[_Event]) -> bool:
    component = group[0].component
    return len(group) == 1 and not any(component.get(name) is not None for name in ("RRULE", "RDATE", "RECURRENCE-ID", "EXRULE"))


def _floating_zone(calendar: Calendar, tz: tzinfo) -> tzinfo:
    """Google writes floating times meaning its X-WR-TIMEZONE (as recurring-ical-events reads them)."""
    name = calendar.get("X-WR-TIMEZONE")
    if name is not None and not isinstance(name, list):
        try:
            return ZoneInfo(str(name).strip())
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            pass
    return tz


def parse_calendar(
    content: bytes,
    *,
    kind: str,
    tz: tzinfo,
    window: Interval,
    limits: Limits = Limits(),
    guard: Guard | None = None,
) -> Result:
    """The merged periods (busy, or available when ``kind == "available"``) inside ``window``, with the
    events left out and the warnings. Raises CalendarError when nothing can be read."""
    guard = guard or Guard()
    if len(content) > limits.max_bytes:
        raise CalendarError(f"The calendar is larger than {limits.max_bytes // 1024} KiB.")
    text = decode(content)
    if "BEGIN:VCALENDAR" not in text.upper():
        raise CalendarError("This is not an iCalendar file: it has no VCALENDAR in it.")
    deadline = clock.monotonic() + limits.max_seconds
    text = _repair(text)
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except RecursionError:
        raise CalendarError("The calendar is nested too deeply.") from None
    except (OutOfTime, SeriesTooSlow):
        raise CalendarError("The calendar took too long to read.") from None
    except Exception:  # icalendar raises many kinds of errors on a malformed file
        raise CalendarError("The file could not be read as an iCalendar file; its lines or nesting are broken.") from None
    if not calendars:
        raise CalendarError("The file could not be read as an iCalendar file; its BEGIN and END lines do not match.")
    lines = _Lines(text)
    result = Result(periods=[])
    total_events = readable = 0
    try:
        counter = 0
        for calendar in calendars:
            counter, events = _calendar_events(calendar, counter, lines)
            total_events += len(events)
            floating = _floating_zone(calendar, tz)
            groups = _groups(events, lines, result, tz, floating)
            zones = calendar.walk("VTIMEZONE") if any(not _is_single(g) for g in groups) else []
            for group in groups:
                if clock.monotonic() > deadline:
                    raise CalendarError("The calendar took too long to read; it may repeat too often.")
                if _is_single(group):
                    readable += _single_event(group[0].component, kind=kind, tz=floating, window=window, result=result)
                    continue
                readable += _expand(calendar, zones, group, kind=kind, tz=tz, window=window, limits=limits,
                                    guard=guard, lines=lines, result=result, deadline=deadline)
            result.periods += _freebusy(calendar, kind=kind, tz=tz, window=window)
            if len(result.periods) > limits.max_periods:
                raise CalendarError(f"The calendar has more than {limits.max_periods} events in the import window.")
    except RecursionError:
        raise CalendarError("The calendar is nested too deeply.") from None
    except OutOfTime:
        raise CalendarError("The calendar took too long to read; it may repeat too often.") from None
    if len(result.periods) > limits.max_periods:
        raise CalendarError(f"The calendar has more than {limits.max_periods} events in the import window.")
    if total_events and not readable:
        reasons = [s.reason for s in result.skipped[:5]]
        headline = ("The calendar's only event could not be read." if total_events == 1
                    else f"None of the calendar's {total_events} events could be read.")
        raise CalendarError(headline, reasons)
    clipped = [Interval(max(p.start, window.start), min(p.end, window.end)) for p in result.periods]
    result.periods = merge(p for p in clipped if p.end > p.start)
    result.skipped = _dedupe(result.skipped)
    return result


def _dedupe(skipped: list[Skipped]) -> list[Skipped]:
    seen, kept = set(), []
    for item in skipped:
        if item.reason not in seen:
            seen.add(item.reason)
            kept.append(item)
    return kept


def _calendar_events(calendar: Calendar, counter: int, lines: _Lines) -> tuple[int, list[_Event]]:
    events = []
    for component in calendar.walk("VEVENT"):
        uid = component.get("UID")
        summary = component.get("SUMMARY")
        events.append(_Event(
            component=component,
            index=counter,
            uid=str(uid) if uid is not None and not isinstance(uid, list) else "",
            summary=str(summary) if summary is not None and not isinstance(summary, list) else "",
        ))
        counter += 1
    return counter, events


def _groups(events: list[_Event], lines: _Lines, result: Result, tz: tzinfo, floating: tzinfo) -> list[list[_Event]]:
    """Events grouped into series (one UID); a series with any event that cannot be placed is left out whole,
    since dropping just one part of it (an override, an exclusion) would move busy time."""
    by_uid: dict[str, list[_Event]] = {}
    for position, event in enumerate(events):
        by_uid.setdefault(event.uid or f"\x00{position}", []).append(event)
    groups = []
    if floating is tz:
        read_in = f"your time zone ({getattr(tz, 'key', str(tz))})"
    else:  # Google's X-WR-TIMEZONE: floating times mean the calendar's own zone
        read_in = f"the calendar's time zone ({getattr(floating, 'key', str(floating))})"
    for group in by_uid.values():
        problems = []
        for event in group:
            try:
                for unknown in _check_event(event):
                    _warn(result, f"{event.name()}{event.where(lines, 'DTSTART')} uses the time zone \"{_clean(unknown, 60)}\", "
                                  f"which is not known; its times were read in {read_in}.")
            except _Problem as problem:
                problems.append(event.skipped(lines, problem.reason + ".", problem.prop))
            except Exception:
                problems.append(event.skipped(lines, "has times that cannot be read."))
        if problems:
            result.skipped += problems
        else:
            groups.append(group)
    return groups


def _warn(result: Result, message: str) -> None:
    if message not in result.warnings:
        result.warnings.append(message)


def _counts(component, kind: str) -> bool:
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return False
    return not (kind == "busy" and str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT")


def _single_event(component, *, kind, tz, window, result) -> bool:
    """One event without recurrence: placed directly (recurring-ical-events costs ~1 ms an event)."""
    if _counts(component, kind):
        start = component["DTSTART"].dt
        period = _interval(start, start + _length(component, start), tz)
        if period and period.end > window.start and period.start < window.end:
            result.periods.append(period)
    return True


def _expand(calendar, zones, group, *, kind, tz, window, limits, guard, lines, result, deadline) -> bool:
    """Adds the series' periods to ``result``; False (and a skipped entry) when it cannot be expanded."""
    first = group[0]
    try:
        for event in group:
            _rebase(event.component, window.start, tz)
        series = _series_calendar(calendar, zones, [e.component for e in group])
        budget = min(limits.series_seconds, max(0.0, deadline - clock.monotonic()))
        with guard.series(budget):
            occurrences = recurring_ical_events.of(series).between(window.start, window.end)
            found = []
            for occurrence in occurrences:
                if not _counts(occurrence, kind):
                    continue
                start = occurrence["DTSTART"].dt
                period = _interval(start, _occurrence_end(occurrence, start), tz)
                if period and period.end > window.start and period.start < window.end:
                    found.append(period)
                    if len(found) + len(result.periods) > limits.max_periods:
                        raise CalendarError(
                            f"The calendar has more than {limits.max_periods} events in the import window.")
        result.periods += found
        return True
    except (CalendarError, OutOfTime):
        raise
    except SeriesTooSlow:
        result.skipped.append(first.skipped(lines, "repeats in a way that takes too long to work out.", "RRULE"))
    except MemoryError:
        result.skipped.append(first.skipped(lines, "repeats too often to be imported.", "RRULE"))
    except RecursionError:
        raise
    except Exception:  # dateutil and recurring-ical-events refuse some rules with assorted errors
        result.skipped.append(first.skipped(lines, "has a repeat rule or dates that cannot be worked out.", "RRULE"))
    return False


def _freebusy(calendar, *, kind, tz, window) -> list[Interval]:
    periods: list[Interval] = []
    for component in calendar.walk("VFREEBUSY"):
        if any(str(name).upper() == "FREEBUSY" for name, _ in getattr(component, "errors", [])):
            continue
        values = component.get("FREEBUSY")
        for prop in values if isinstance(values, list) else [values] if values is not None else []:
            fbtype = str(prop.params.get("FBTYPE", "BUSY")).upper()
            if (fbtype == "FREE") != (kind == "available"):
                continue
            for period in prop.dts if hasattr(prop, "dts") else [prop]:
                try:
                    start, end_or_duration = period.dt
                    end = start + end_or_duration if isinstance(end_or_duration, timedelta) else end_or_duration
                    found = _interval(start, end, tz)
                except (TypeError, ValueError, AttributeError, OverflowError):
                    continue
                if found and found.end > window.start and found.start < window.end:
                    periods.append(found)
    return periods
