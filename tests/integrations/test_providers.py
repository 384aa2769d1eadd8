"""The provider registry: what scheduling sees of connected calendars, whatever their provider."""

import pytest
from django.utils import timezone

from core import calendar_providers
from integrations.google.crypto import encrypt
from integrations.models import CalDAVConnection, GoogleConnection, MicrosoftConnection
from tests.factories import InterviewerFactory

pytestmark = pytest.mark.django_db


def test_three_providers_are_registered():
    assert {p.name for p in calendar_providers.registered()} == {"google", "caldav", "microsoft"}
    with pytest.raises(calendar_providers.ProviderError) as error:
        calendar_providers.get("exchange-2003")
    assert error.value.permanent


def test_connections_across_providers_in_one_query(interviewer, django_assert_num_queries, monkeypatch):
    other, nobody = InterviewerFactory(), InterviewerFactory()
    GoogleConnection.objects.create(user=interviewer, refresh_token_encrypted=encrypt("r"))
    CalDAVConnection.objects.create(user=interviewer, url="https://dav.example.test/", username="u",
                                    password_encrypted=encrypt("p"), last_synced=timezone.now())
    MicrosoftConnection.objects.create(user=other, refresh_token_encrypted=encrypt("r"), mailbox="o@x.test",
                                       status="broken")
    ids = [interviewer.pk, other.pk, nobody.pk]
    assert calendar_providers.with_any(ids) == [interviewer.pk, other.pk]  # who has a calendar at all: cached
    with django_assert_num_queries(1):
        assert calendar_providers.connected(ids) == [("caldav", interviewer.pk), ("google", interviewer.pk)]
    with django_assert_num_queries(0):
        assert calendar_providers.connected([nobody.pk]) == []
    # only Google is stale (never synced): the others are fresh or broken
    assert calendar_providers._stale(ids, timezone.now() - calendar_providers.FRESH_BEFORE_BOOKING) == [
        ("google", interviewer.pk)]
    # the schedule queues a full sync of every working connection, each as its own task
    queued = []
    for module in ("google", "caldav", "microsoft"):
        monkeypatch.setattr(f"integrations.{module}.services.async_task", lambda *args: queued.append(args))
    assert calendar_providers.queue_all_syncs() == 2
    assert sorted(queued) == [("integrations.google.tasks.sync_google", interviewer.pk),
                              ("integrations.tasks.sync_calendar", "caldav", interviewer.pk)]


def test_nothing_to_sync_costs_one_query(interviewer, django_assert_num_queries):
    CalDAVConnection.objects.create(user=interviewer, url="https://dav.example.test/", username="u",
                                    password_encrypted=encrypt("p"), last_synced=timezone.now())
    calendar_providers.with_any([interviewer.pk])  # who has a calendar at all: cached
    with django_assert_num_queries(1):
        assert calendar_providers.sync_before_booking(user_ids=[interviewer.pk]) == {}


def test_people_without_a_calendar_cost_no_query_once_known(interviewer, django_assert_num_queries):
    nobody = InterviewerFactory()
    GoogleConnection.objects.create(user=interviewer, refresh_token_encrypted=encrypt("r"), status="broken")
    with django_assert_num_queries(1):  # one query over every provider's table for both
        assert calendar_providers.with_any([interviewer.pk, nobody.pk]) == [interviewer.pk]
    with django_assert_num_queries(0):
        assert calendar_providers.sync_before_booking(user_ids=[nobody.pk]) == {}
    # a connection written (here: made for nobody, then removed) is seen at once
    connection = MicrosoftConnection.objects.create(user=nobody, refresh_token_encrypted=encrypt("r"),
                                                    mailbox="n@x.test")
    assert calendar_providers.with_any([nobody.pk]) == [nobody.pk]
    connection.delete()
    assert calendar_providers.with_any([nobody.pk]) == []
