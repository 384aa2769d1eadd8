"""What a feed shows: which interviews, and everything their events are written from. Reads only.

A feed holds the interviews that ended at most 90 days ago and all to come; cancelled ones for 30 days after
cancelling, so that subscribed clients see them go. The HR feed (a superuser's: everyone's interviews) is
bounded: interviews starting within the next 365 days, and at most 2,000 events, the upcoming ones first
(soonest first), then the most recent past ones. A person's own feed has the same cap, which nobody's own
interviews reach, and no limit ahead. Why these numbers: docs/api.md, "Feeds".
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import User
from scheduling.models import Interview, InterviewStatus

PAST_DAYS = 90
CANCELLED_KEPT_DAYS = 30
HR_DAYS_AHEAD = 365
MAX_EVENTS = 2000

# What interview_event (scheduling.invites) reads, besides the zone and the organizer address.
_FIELDS = ("pk", "uid", "sequence", "status", "updated", "start", "end", "title", "cancel_reason",
           "candidate__email", "candidate__name")


@dataclass(frozen=True)
class FeedEntry:
    """One interview of a feed. ``inputs`` holds everything its event is written from (the interview's fields
    and its participants' names and addresses), so the event's text is a function of ``inputs`` and the zone."""

    pk: int
    start: datetime
    end: datetime
    inputs: tuple


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _entry(pk, uid, sequence, status, updated, start, end, title, cancel_reason, candidate, panel) -> FeedEntry:
    instants = tuple((moment - _EPOCH) // _MICROSECOND for moment in (updated, start, end))  # exact, and quick
    return FeedEntry(pk, start, end, (uid, sequence, status, *instants, title, cancel_reason, candidate, tuple(panel)))


def feed_interviews(user: User, *, now: datetime) -> QuerySet[Interview]:
    """The interviews the user's feed may show (before the cap)."""
    interviews = Interview.objects.filter(end__gte=now - timedelta(days=PAST_DAYS)).filter(
        Q(status=InterviewStatus.SCHEDULED)
        | Q(status=InterviewStatus.CANCELLED, cancelled_at__gte=now - timedelta(days=CANCELLED_KEPT_DAYS))
    )
    if user.is_superuser:
        return interviews.filter(start__lt=now + timedelta(days=HR_DAYS_AHEAD))
    mine = Interview.objects.filter(Q(candidate_id=user.pk) | Q(interviewers=user.pk)).values("pk")
    return interviews.filter(pk__in=mine)


def feed_entries(user: User) -> list[FeedEntry]:
    """The feed's interviews in the order of the feed (start, id), read as plain values: three queries whatever
    their number (the upcoming ones, the past ones the cap leaves room for, the panels of both)."""
    now = timezone.now()
    interviews = feed_interviews(user, now=now)
    upcoming = interviews.filter(end__gte=now).order_by("start", "pk")[:MAX_EVENTS]
    rows = list(upcoming.values_list(*_FIELDS))
    past = interviews.filter(end__lt=now).order_by("-start", "-pk")[: MAX_EVENTS - len(rows)]
    rows += past.values_list(*_FIELDS)
    rows.sort(key=lambda row: (row[5], row[0]))
    panels = defaultdict(list)
    # the same two selections as subqueries (not a list of up to 2,000 ids: SQLite before 3.32 takes at most
    # 999 parameters), ordered by user id as interview.interviewers.all() is (User's default ordering)
    members = Interview.interviewers.through.objects.filter(
        Q(interview_id__in=upcoming.values("pk")) | Q(interview_id__in=past.values("pk"))
    ).order_by("interview_id", "user_id")
    for interview_id, email, name in members.values_list("interview_id", "user__email", "user__name"):
        panels[interview_id].append((email, name))
    return [_entry(*row[:9], (row[9], row[10]), panels[row[0]]) for row in rows]


def feed_entry(interview: Interview) -> FeedEntry:
    """The entry of a loaded interview (its candidate and interviewers loaded with it)."""
    return _entry(
        interview.pk, interview.uid, interview.sequence, interview.status, interview.updated, interview.start,
        interview.end, interview.title, interview.cancel_reason, (interview.candidate.email, interview.candidate.name),
        [(person.email, person.name) for person in interview.interviewers.all()],
    )


def feed_interviews_by_pk(pks: list[int]) -> list[Interview]:
    """These interviews with their candidates and interviewers, ready to be written as events (two queries)."""
    return list(Interview.objects.filter(pk__in=pks).select_related("candidate").prefetch_related("interviewers"))
