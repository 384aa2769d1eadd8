"""The booked interview as a calendar file the candidate adds to their own calendar.

Same UID and SEQUENCE as the email invites (so a calendar that has both keeps one event), but published
(``METHOD:PUBLISH``) and with people by name only: a public answer never shows an email address."""

from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from scheduling.invites import PRODID, add_timezones
from scheduling.models import Interview, InterviewStatus


def public_calendar(interview: Interview, *, tz: ZoneInfo) -> Calendar:
    names = ", ".join(u.name or "Interviewer" for u in interview.interviewers.all())
    start, end = interview.start.astimezone(tz), interview.end.astimezone(tz)
    event = Event.new(
        uid=interview.uid,
        sequence=interview.sequence,
        stamp=interview.updated,
        start=start,
        end=end,
        summary=interview.display_title,
        description=f"{interview.display_title} with {names}. {start:%A %d %B %Y, %H:%M}-{end:%H:%M} ({tz.key}).",
        status="CANCELLED" if interview.status == InterviewStatus.CANCELLED else "CONFIRMED",
        transparency="OPAQUE",
    )
    calendar = Calendar.new(prodid=PRODID, method="PUBLISH")
    calendar.add_component(event)
    add_timezones(calendar, [interview])
    return calendar
