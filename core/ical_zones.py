"""VTIMEZONE components that every client reads the same way: the feed and the invites both use this.

``icalendar``'s ``add_missing_timezones`` lists a zone's transitions in one comma-separated RDATE; RFC 5545
allows it, but ical.js (Thunderbird, Nextcloud) and vobject read only the first value, so summer times more
than a year after the zone data's start came out an hour off (New York) or 30 minutes off (Lord Howe).

Here each transition is its own STANDARD or DAYLIGHT sub-component with a single DTSTART (the local wall
time at which it happens, in the offset before it), TZOFFSETFROM, TZOFFSETTO and TZNAME: no RDATE lists and no
RRULEs to interpret, the form every parser reads. The first sub-component holds the offset in force at the
start of the span, so every instant from ``first`` to ``last`` is covered. Transitions come from the zone
itself (zoneinfo), found by scanning the span in six-hour steps and bisecting to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard

UTC = timezone.utc
_STEP = timedelta(hours=6)


@dataclass(frozen=True)
class _State:
    offset: timedelta
    dst: timedelta
    name: str


@dataclass(frozen=True)
class Transition:
    at: datetime  # UTC
    before: _State
    after: _State


def _state(zone: ZoneInfo, at: datetime) -> _State:
    local = at.astimezone(zone)
    return _State(local.utcoffset(), local.dst() or timedelta(0), local.tzname() or "")


def transitions(zone: ZoneInfo, first: datetime, last: datetime) -> tuple[_State, list[Transition]]:
    """The state at ``first`` and every change of offset, DST or name up to ``last`` (both aware)."""
    start = _state(zone, first)
    found: list[Transition] = []
    here, state = first, start
    while here < last:
        there = min(here + _STEP, last)
        next_state = _state(zone, there)
        if next_state != state:
            low, high = here, there  # state(low) == state, state(high) != state
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            at = high.replace(microsecond=0)
            found.append(Transition(at, state, _state(zone, at)))
            state = _state(zone, at)
            here = at
            continue
        here = there
    return start, found


def _sub(kind, onset_local: datetime, offset_from: timedelta, state: _State):
    component = kind()
    component.add("dtstart", onset_local.replace(tzinfo=None))
    component.add("tzoffsetfrom", offset_from)
    component.add("tzoffsetto", state.offset)
    if state.name:
        component.add("tzname", state.name)
    return component


def vtimezone(zone: ZoneInfo, first: datetime, last: datetime) -> Timezone:
    """A VTIMEZONE for ``zone`` that covers every instant from ``first`` to ``last``."""
    start, changes = transitions(zone, first, last)
    component = Timezone()
    component.add("tzid", zone.key)
    kind = TimezoneDaylight if start.dst else TimezoneStandard
    component.add_component(_sub(kind, (first + start.offset).replace(second=0, microsecond=0), start.offset, start))
    for change in changes:
        kind = TimezoneDaylight if change.after.dst else TimezoneStandard
        # DTSTART is the wall time of the change in the offset in force before it
        component.add_component(_sub(kind, change.at.astimezone(UTC) + change.before.offset, change.before.offset,
                                     change.after))
    return component


@lru_cache(maxsize=64)
def vtimezone_ical(zone: ZoneInfo, first: datetime, last: datetime) -> bytes:
    """``vtimezone(...).to_ical()``, computed once per process for each zone and span (the feed asks for the
    same few again and again; the scan takes milliseconds)."""
    return vtimezone(zone, first, last).to_ical()


def needs_vtimezone(tz: object) -> bool:
    """Whether times in ``tz`` are written with a TZID that needs a VTIMEZONE (UTC times are written with Z)."""
    return isinstance(tz, ZoneInfo) and tz.key not in ("UTC", "Etc/UTC")


def _zones_used(calendar: Calendar) -> dict[str, ZoneInfo]:
    zones: dict[str, ZoneInfo] = {}
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            prop = event.get(name)
            value = getattr(prop, "dt", None)
            tz = getattr(value, "tzinfo", None)
            if needs_vtimezone(tz):
                zones[tz.key] = tz
    return zones


def add_vtimezones(calendar: Calendar, first: datetime, last: datetime) -> None:
    """Add a VTIMEZONE, covering ``first`` to ``last``, for every zone the calendar's events use (UTC
    times are written with Z and need none). Zones already in the calendar are left as they are."""
    present = {str(tz.get("TZID")) for tz in calendar.walk("VTIMEZONE")}
    zones = [zone for key, zone in sorted(_zones_used(calendar).items()) if key not in present]
    for zone in zones:
        # VTIMEZONEs go before the events, as most clients expect
        calendar.subcomponents.insert(0, vtimezone(zone, first, last))
