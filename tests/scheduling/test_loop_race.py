"""A loop and single interviews that take one of its slots, sent at the same instant to a live server (each
request on its own connection, so its own database transaction): exactly one of them is booked, and a
refused loop leaves nothing behind."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

from core.tokens import token_issue
from scheduling.models import Interview, Loop
from slots.models import BusyPeriod
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.scheduling.helpers import free, iso

pytestmark = pytest.mark.django_db(transaction=True)

ThreadedWSGIServer.request_queue_size = 128  # see test_booking_race.py
COPIES = 3  # of each request, all released together
ROUNDS = 4


def fire_all(token: str, requests: list[tuple[str, dict]]) -> list[int]:
    barrier = threading.Barrier(len(requests))
    statuses = [0] * len(requests)

    def post(index: int, url: str, body: dict) -> None:
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses[index] = response.status
        except urllib.error.HTTPError as error:
            statuses[index] = error.code

    threads = [threading.Thread(target=post, args=(i, url, body)) for i, (url, body) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_a_loop_and_a_single_interview_race_for_one_slot(live_server):
    token = token_issue(user=HRFactory())
    for day in range(ROUNDS):
        candidate, other = CandidateFactory(), CandidateFactory()
        first, second, third = InterviewerFactory(), InterviewerFactory(), InterviewerFactory()
        for person in (candidate, other, first, second, third):
            free(person, 9, 13, day=day)
        loop = {"candidate": candidate.pk, "sessions": [
            {"interviewers": [first.pk], "start": iso(10, day=day), "duration": 60},
            {"interviewers": [second.pk, third.pk], "start": iso(11, day=day), "duration": 60}]}
        single = {"candidate": other.pk, "interviewers": [third.pk], "start": iso(11, 30, day=day), "duration": 60}
        requests = [(f"{live_server.url}/api/v1/loops/", loop)] * COPIES
        requests += [(f"{live_server.url}/api/v1/interviews/", single)] * COPIES
        statuses = fire_all(token, requests)
        assert sorted(statuses) == [201] + [409] * (2 * COPIES - 1), statuses
        loop_won = 201 in statuses[:COPIES]
        assert Loop.objects.filter(candidate=candidate).count() == (1 if loop_won else 0)
        assert Interview.objects.filter(candidate=candidate).count() == (2 if loop_won else 0)
        assert Interview.objects.filter(candidate=other).count() == (0 if loop_won else 1)
        assert BusyPeriod.objects.filter(user=third, source="interview").count() == 1
        assert BusyPeriod.objects.filter(user=candidate).count() == (2 if loop_won else 0)
