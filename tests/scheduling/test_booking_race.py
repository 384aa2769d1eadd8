"""No double booking under truly concurrent requests: threads released together by a barrier, each with its
own HTTP connection to a live server (so each request has its own database connection)."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.db import IntegrityError, connection, transaction  # noqa: F401 (connection: in skipif)

from django.core.servers.basehttp import ThreadedWSGIServer

from core.tokens import token_issue
from scheduling.models import Interview
from slots.models import BusyPeriod
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.scheduling.helpers import at, free, iso

pytestmark = pytest.mark.django_db(transaction=True)

# Django's test server listens with a backlog of 10, so 24 simultaneous connects would be reset before
# reaching the application; a production server (gunicorn) listens with 2048.
ThreadedWSGIServer.request_queue_size = 128

REQUESTS = 24


def fire_together(url: str, token: str, bodies: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def post(index: int, body: dict) -> None:
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses[index] = response.status
        except urllib.error.HTTPError as error:
            statuses[index] = error.code

    threads = [threading.Thread(target=post, args=(i, b)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_same_people_same_time(live_server):
    hr, candidate, interviewer = HRFactory(), CandidateFactory(), InterviewerFactory()
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    body = {"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": iso(10)}
    statuses = fire_together(f"{live_server.url}/api/v1/interviews/", token_issue(user=hr), [body] * REQUESTS)
    assert sorted(statuses) == [201] + [409] * (REQUESTS - 1)
    assert Interview.objects.count() == 1


def test_one_interviewer_many_candidates_overlapping_times(live_server):
    hr, interviewer = HRFactory(), InterviewerFactory()
    free(interviewer, 9, 13)
    bodies = []
    for k in range(REQUESTS):
        candidate = CandidateFactory()
        free(candidate, 9, 13)
        bodies.append({"candidate": candidate.pk, "interviewers": [interviewer.pk], "start": iso(10, 5 * (k % 12))})
    statuses = fire_together(f"{live_server.url}/api/v1/interviews/", token_issue(user=hr), bodies)
    assert statuses.count(201) == 1 and statuses.count(409) == REQUESTS - 1
    periods = list(BusyPeriod.objects.filter(user=interviewer, source="interview"))
    assert len(periods) == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the exclusion constraint is PostgreSQL's")
def test_database_refuses_overlapping_interview_busy_time():
    person = CandidateFactory()
    BusyPeriod.objects.create(user=person, start=at(10), end=at(11), source="interview")
    BusyPeriod.objects.create(user=person, start=at(11), end=at(12), source="interview")  # touching is fine
    BusyPeriod.objects.create(user=person, start=at(10), end=at(11), source="ical")  # other sources may overlap
    with pytest.raises(IntegrityError), transaction.atomic():
        BusyPeriod.objects.create(user=person, start=at(10, 30), end=at(11, 30), source="interview")
