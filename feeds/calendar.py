"""The feed's text: a published calendar (no METHOD) with the same UID and SEQUENCE as the invites, times in the
user's zone.

Writing an event takes about half a millisecond (more on a busy machine), so a feed of a thousand is not
written afresh on every poll. Each feed has one entry in Django's cache (Redis, or the database cache): its
events' lines (``Event.to_ical()``), each under a hash of everything it is written from (the entry's inputs,
the zone, the organizer address, the format). A change to an interview, or to a participant's name or
address, gives it a new hash, so no text is ever stale and nothing needs invalidating: a poll reads the entry
(one cache read), writes the events whose hash it lacks, and puts the entry back (one write, only when
something changed), with just the events the feed now holds. One entry per feed rather than one per event:
the database cache writes a key at a time (a COUNT, a SELECT and an INSERT each), which for 1,000 events took
longer than writing the events (about 0.9 s against 0.6 s), and every change would leave a dead key behind.
The VTIMEZONE of a zone and span is computed once per process (core.ical_zones.vtimezone_ical). The text put
together from these is byte for byte what ``feed_calendar`` writes (tests/feeds/test_feed_cache.py). When the
cache is down the feed is written afresh.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.core.cache import cache
from icalendar import Calendar

from core.cache_backends import CACHE_ERRORS
from core.ical_zones import needs_vtimezone, vtimezone_ical
from core.models import User
from feeds.selectors import FeedEntry, feed_entry, feed_interviews_by_pk
from scheduling.invites import PRODID, add_timezones, interview_event, timezone_span
from scheduling.models import Interview

logger = logging.getLogger(__name__)

# Part of every cache key and of the ETag: raise the number when the text of an event or of the calendar
# changes, so that no text written by older code is served (the icalendar version is in it for the same reason).
FORMAT = f"feed-1:{icalendar.__version__}:{PRODID}"
# A feed nobody polled for a week is dropped from the cache (clients poll every 15 minutes: X-PUBLISHED-TTL).
CACHE_SECONDS = 7 * 24 * 3600
_END = b"END:VCALENDAR\r\n"


def feed_uid(user: User) -> str:
    """The calendar's UID (RFC 7986): the same on every poll of a feed address, another after rotating it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"interview-feed:{user.pk}:{user.feed_salt}"))


def _calendar(user: User, tz: ZoneInfo) -> Calendar:
    calendar = Calendar.new(prodid=PRODID, name="Interviews", refresh_interval=None, uid=feed_uid(user))
    calendar.add("x-wr-timezone", tz.key)
    calendar.add("x-published-ttl", "PT15M")
    return calendar


def feed_calendar(user: User, interviews: list[Interview], *, tz: ZoneInfo) -> Calendar:
    """The feed written afresh from loaded interviews (what the cached text must equal)."""
    calendar = _calendar(user, tz)
    for interview in interviews:
        calendar.add_component(interview_event(interview, tz=tz))
    add_timezones(calendar, interviews)
    return calendar


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _event_key(entry: FeedEntry, tz: ZoneInfo) -> str:
    """The name of an event's text in the feed's cache entry: a hash of everything the text is written from."""
    return _hash(FORMAT, tz.key, settings.DEFAULT_FROM_EMAIL, entry.inputs)[:40]


@dataclass(frozen=True)
class FeedState:
    """A feed as it is now: its entries, the key of each entry's event text, and the ETag of the whole."""

    user: User
    tz: ZoneInfo
    entries: list[FeedEntry]
    keys: list[str]
    etag: str


def feed_state(user: User, entries: list[FeedEntry], *, tz: ZoneInfo) -> FeedState:
    keys = [_event_key(entry, tz) for entry in entries]
    etag = '"' + _hash(FORMAT, user.pk, feed_uid(user), tz.key, keys)[:32] + '"'
    return FeedState(user, tz, entries, keys, etag)


def _cache_call(doing: str, call, default):
    try:
        return call()
    except CACHE_ERRORS as exc:
        logger.warning("Cache unavailable while %s the feed (%s); writing it afresh", doing, exc)
        return default


def feed_ical(state: FeedState) -> bytes:
    """The feed's text for ``state``: the events the cache holds for this feed, the others written now (and
    the feed's entry in the cache rewritten when anything in it changed, with just the events now in it)."""
    cache_key = f"feed:events:{state.user.pk}"
    kept = _cache_call("reading", lambda: cache.get(cache_key), None) or {}
    events = {key: kept[key] for key in state.keys if key in kept}
    missing = [entry.pk for entry, key in zip(state.entries, state.keys) if key not in events]
    written: dict[int, bytes] = {}
    for interview in feed_interviews_by_pk(missing) if missing else []:
        # kept under the key of what it was written from: if the interview changed since the entries were
        # read, that is the key the next poll reads
        text = written[interview.pk] = interview_event(interview, tz=state.tz).to_ical()
        events[_event_key(feed_entry(interview), state.tz)] = text
    zones = b""
    if state.entries and needs_vtimezone(state.tz):
        span = timezone_span([entry.start for entry in state.entries], [entry.end for entry in state.entries])
        zones = vtimezone_ical(state.tz, *span)
    head = _calendar(state.user, state.tz).to_ical().removesuffix(_END)
    # an interview deleted since the entries were read is left out
    body = head + zones + b"".join(
        events.get(key) or written.get(entry.pk, b"") for entry, key in zip(state.entries, state.keys)
    ) + _END
    if events.keys() != kept.keys():
        _cache_call("writing", lambda: cache.set(cache_key, events, CACHE_SECONDS), None)
    return body
