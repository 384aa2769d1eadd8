"""iCalendar for interviews: invites (iTIP REQUEST/CANCEL, RFC 5546) and their emails (iMIP, RFC 6047).

One UID for an interview's whole life; SEQUENCE goes up with every change; each recipient gets the times
in their own zone, with its VTIMEZONE.
"""

from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, urlize
from icalendar import Calendar, Event, vCalAddress

from core.ical_zones import add_vtimezones
from core.models import User
from core.timezones import get_zone, is_timezone
from scheduling.models import Interview, InterviewStatus, InviteMethod
from scheduling.signals import invite_composing

PRODID = "-//Interview Scheduling//Interviews 1.0//EN"


def _zone(name: str) -> ZoneInfo:
    return get_zone(name if is_timezone(name) else "UTC")


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = name or email
    address.params.update(params)
    return address


def _participants(interview: Interview) -> list[User]:
    return [interview.candidate, *interview.interviewers.all()]


def describe(interview: Interview, tz: ZoneInfo) -> str:
    start = interview.start.astimezone(tz)
    end = interview.end.astimezone(tz)
    panel = ", ".join(u.name or u.email for u in interview.interviewers.all())
    candidate = interview.candidate.name or interview.candidate.email
    text = (
        f"{interview.display_title}: candidate {candidate}; interviewers {panel}. "
        f"{start:%A %d %B %Y, %H:%M}-{end:%H:%M} ({tz.key})."
    )
    if interview.status == InterviewStatus.CANCELLED and interview.cancel_reason:
        text += f"\nReason for cancelling: {interview.cancel_reason}"
    return text


def _left_panel(interview: Interview, recipient: User | None, method: str | None) -> bool:
    """A CANCEL to someone no longer in a scheduled interview: an interviewer taken off the panel."""
    return (
        method == InviteMethod.CANCEL
        and recipient is not None
        and interview.status == InterviewStatus.SCHEDULED
        and recipient.pk not in {u.pk for u in _participants(interview)}
    )


def interview_event(
    interview: Interview, *, tz: ZoneInfo, method: str | None = None, recipient: User | None = None
) -> Event:
    """The interview as a VEVENT. For an interviewer taken off the panel (a CANCEL to a non-participant)
    the event is CANCELLED and names just them as attendee (RFC 5546 3.2.5: removing an attendee).

    The feed caches this text under what it reads (feeds.selectors.FeedEntry): whatever this starts to show
    must be added there too."""
    removed = _left_panel(interview, recipient, method)
    cancelled = removed or interview.status == InterviewStatus.CANCELLED
    event = Event.new(
        uid=interview.uid,
        sequence=interview.sequence,
        stamp=interview.updated,
        start=interview.start.astimezone(tz),
        end=interview.end.astimezone(tz),
        summary=interview.display_title,
        description=describe(interview, tz),
        organizer=_address(settings.DEFAULT_FROM_EMAIL, "Interview scheduling"),
        status="CANCELLED" if cancelled else "CONFIRMED",
        transparency="OPAQUE",
    )
    event.add("last-modified", interview.updated)
    for person in [recipient] if removed else _participants(interview):
        event.add(
            "attendee",
            _address(
                person.email,
                person.name,
                CUTYPE="INDIVIDUAL",
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="TRUE",
            ),
        )
    return event


def timezone_span(starts: list[datetime], ends: list[datetime]) -> tuple[datetime, datetime]:
    """The span the VTIMEZONEs of these events cover: whole years around them (so that the text, and the
    feed's bytes, change only when the events do)."""
    first = min(starts) - timedelta(days=366)
    last = max(ends) + timedelta(days=366)
    return datetime(first.year, 1, 1, tzinfo=dt_timezone.utc), datetime(last.year + 1, 1, 1, tzinfo=dt_timezone.utc)


def add_timezones(calendar: Calendar, events: list[Interview]) -> None:
    """VTIMEZONE for every zone used, each transition on its own (core.ical_zones), covering
    ``timezone_span`` of the events."""
    if not events:
        return
    add_vtimezones(calendar, *timezone_span([e.start for e in events], [e.end for e in events]))


def invite_calendar(
    interview: Interview, *, tz: ZoneInfo, method: str | None = None, recipient: User | None = None
) -> Calendar:
    if method is None:
        method = InviteMethod.CANCEL if interview.status == InterviewStatus.CANCELLED else InviteMethod.REQUEST
    calendar = Calendar.new(prodid=PRODID, method=method)
    calendar.add_component(interview_event(interview, tz=tz, method=method, recipient=recipient))
    add_timezones(calendar, [interview])
    return calendar


def invite_message(interview: Interview, recipient: User, method: str) -> EmailMultiAlternatives:
    tz = _zone(recipient.timezone)
    calendar = invite_calendar(interview, tz=tz, method=method, recipient=recipient).to_ical().decode()
    when = interview.start.astimezone(tz)
    if method == InviteMethod.CANCEL:
        subject = f"Cancelled: {interview.display_title} on {when:%a %d %b %Y %H:%M} ({tz.key})"
        if _left_panel(interview, recipient, method):
            lead = "You are no longer on the panel of this interview; it has been taken off your calendar."
        else:
            lead = "This interview has been cancelled."
    elif interview.sequence > 0:
        subject = f"Updated: {interview.display_title} on {when:%a %d %b %Y %H:%M} ({tz.key})"
        lead = "This interview has been changed (time, title or panel); the invite below is the current one."
    else:
        subject = f"Invitation: {interview.display_title} on {when:%a %d %b %Y %H:%M} ({tz.key})"
        lead = "You are invited to an interview."
    extra = [line for _, line in invite_composing.send(sender=Interview, interview=interview, recipient=recipient) if line]
    text = f"{lead}\n\n{describe(interview, tz)}\n" + "".join(f"\n{line}\n" for line in extra)
    html = f"<p>{escape(lead)}</p><p>{escape(describe(interview, tz))}</p>".replace("\n", "<br>") + "".join(
        f"<p>{urlize(escape(line))}</p>" for line in extra
    )
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a title with a line break must not break the header
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )
    message.attach_alternative(html, "text/html")
    message.attach_alternative(calendar, f"text/calendar; method={method}")
    return message
