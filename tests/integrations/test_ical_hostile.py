"""Calendars built to hurt (issue 8's shapes) answer 400 within the parse limit + 1 s, and the server process
grows by less than 100 MB; the child that parses them is held to ICAL_PARSE_MEMORY_MB. A subscription to one
records the error and is not tried again within the hour."""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from integrations.models import CalendarSource
from integrations.services import subscription_sync, subscriptions_refresh_due
from integrations.tasks import sync_subscription
from tests.conftest import assert_error
from tests.integrations.calendar_server import calendar_server
from tests.integrations.hostile_calendars import HOSTILE
from tests.integrations.test_ical_parse import _plain

pytestmark = pytest.mark.django_db
LIMIT = 2


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.fixture
def short_limit(settings):
    settings.ICAL_PARSE_SECONDS = LIMIT
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_calendar_is_a_quick_cheap_400(candidate_client, short_limit, name):
    content = HOSTILE[name]()
    candidate_client.post("/api/v1/calendars/import/", {"file": SimpleUploadedFile("w.ics", b"x")},
                          format="multipart")  # warm: the first request in a process imports half of Django
    before = rss_mb()
    started = time.monotonic()
    r = candidate_client.post("/api/v1/calendars/import/", {"file": SimpleUploadedFile("h.ics", content)},
                              format="multipart")
    took = time.monotonic() - started
    messages = assert_error(r, 400, "validation_error")["fields"]["file"]
    assert all(_plain(m) for m in messages), messages
    assert took < LIMIT + 1, took
    assert rss_mb() - before < 100
    assert not CalendarSource.objects.exists()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_child_that_parses_a_hostile_calendar_stays_under_its_memory_limit(name):
    from integrations.ical.parse import CalendarError, Limits
    from integrations.ical.sandbox import parse_in_child
    from integrations.services import import_window

    with pytest.raises(CalendarError) as caught:
        parse_in_child(HOSTILE[name](), kind="busy", tz="UTC", window=import_window(),
                       limits=Limits(max_seconds=LIMIT), max_memory_mb=100)
    # VmHWM as the child's kernel counted it (None only if the parent had to kill it)
    assert caught.value.peak_mb is None or caught.value.peak_mb < 100


def test_four_at_once_stay_bounded(candidate_client, short_limit):
    """Four hostile parses side by side (as four server threads would run them)."""
    import threading

    from integrations.ical.parse import CalendarError, Limits
    from integrations.ical.sandbox import parse_in_child
    from integrations.services import import_window

    errors, before = [], rss_mb()

    def run():
        try:
            parse_in_child(HOSTILE["every hour since 1800, counted"](), kind="busy", tz="UTC", window=import_window(),
                           limits=Limits(max_seconds=LIMIT), max_memory_mb=100)
        except CalendarError as exc:
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 4 and time.monotonic() - started < LIMIT + 1
    assert rss_mb() - before < 100


def test_a_subscription_to_a_hostile_calendar_records_the_error_and_waits_an_hour(candidate, short_limit):
    with calendar_server({"/bad.ics": ("ics", HOSTILE["a rule that never matches"]())}) as (base, hits):
        source = CalendarSource.objects.create(user=candidate, name=f"{base}/bad.ics", url=f"{base}/bad.ics",
                                               is_subscription=True)
        assert sync_subscription(source.pk) == "failed"
        source.refresh_from_db()
        # the series' own budget, or under heavy load the whole parse's deadline, stops it
        assert ("only event could not be read" in source.last_error and "(line 8)" in source.last_error) or (
            source.last_error == "The calendar took too long to read; it may repeat too often."), source.last_error
        assert source.next_attempt >= timezone.now() + timedelta(minutes=59)
        # the schedule does not queue it, and a queued copy does nothing
        assert subscriptions_refresh_due() == 0
        assert sync_subscription(source.pk) == "not due"
        assert len(hits) == 1
        # an hour later it is due again
        CalendarSource.objects.filter(pk=source.pk).update(next_attempt=timezone.now() - timedelta(seconds=1))
        assert subscriptions_refresh_due() == 1
        assert len(hits) == 2  # tasks run at once in tests (Q_CLUSTER sync)
        # and a direct sync (the user asking) is still possible
        assert subscription_sync(source_id=source.pk) == "failed"
