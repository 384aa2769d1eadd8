from zoneinfo import ZoneInfo

from icalendar import Calendar

from core.models import User
from scheduling.invites import PRODID, add_timezones, interview_event
from scheduling.models import Interview


def feed_calendar(user: User, interviews: list[Interview], *, tz: ZoneInfo) -> Calendar:
    """A published calendar (no METHOD): the same UID and SEQUENCE as the invites, times in ``tz``."""
    calendar = Calendar.new(prodid=PRODID, name="Interviews", refresh_interval=None)
    calendar.add("x-wr-timezone", tz.key)
    calendar.add("x-published-ttl", "PT15M")
    for interview in interviews:
        calendar.add_component(interview_event(interview, tz=tz))
    add_timezones(calendar, interviews)
    return calendar
