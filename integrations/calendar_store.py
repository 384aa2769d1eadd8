"""What every connected calendar does with the busy time it read: it becomes the user's busy periods.

Busy blocks we write for interviews come back when a calendar is read; our own interviews' times are taken
out of what the calendar reports (they are busy anyway, as interview busy periods), so cancelling an
interview frees its time at once instead of at the next sync. A calendar that could not be read keeps what
we last knew of it.
"""

from datetime import datetime

from core.calendar_providers import BusyAnswer
from slots.intervals import Interval, merge, subtract
from slots.models import BusyPeriod, BusySource
from slots.services import announce_free_time_changed


def own_interviews(user_id: int, start: datetime, end: datetime) -> list[Interval]:
    rows = BusyPeriod.objects.filter(user_id=user_id, source=BusySource.INTERVIEW, start__lt=end, end__gt=start)
    return merge(Interval(s, e) for s, e in rows.values_list("start", "end"))


def store_busy(*, user_id: int, source: str, calendars: list[str], answer: BusyAnswer,
               start: datetime, end: datetime) -> None:
    """Replace the user's ``source`` busy periods of each calendar read without error. Call in a transaction."""
    own = own_interviews(user_id, start, end)
    for calendar_id in calendars:
        if calendar_id in answer.errors:
            continue
        read = [Interval(max(s, start), min(e, end))
                for s, e in answer.busy.get(calendar_id, []) if s < end and e > start]
        periods = subtract(merge(p for p in read if p.start < p.end), own)
        BusyPeriod.objects.filter(user_id=user_id, source=source, external_calendar=calendar_id).delete()
        BusyPeriod.objects.bulk_create(
            BusyPeriod(user_id=user_id, start=p.start, end=p.end, source=source, external_calendar=calendar_id)
            for p in periods
        )
    announce_free_time_changed([user_id])


def forget_busy(*, user_id: int, source: str, calendars: list[str] | None = None) -> None:
    periods = BusyPeriod.objects.filter(user_id=user_id, source=source)
    if calendars is not None:
        periods = periods.filter(external_calendar__in=calendars)
    periods.delete()
    announce_free_time_changed([user_id])
