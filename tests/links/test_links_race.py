"""Several links, different candidates, the same interviewer and hour, booked at once against a live
server (each request its own thread and database connection): exactly one wins."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

from core.tokens import token_issue
from scheduling.models import Interview
from slots.models import BusyPeriod
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.scheduling.helpers import at, free, iso

pytestmark = pytest.mark.django_db(transaction=True)

ThreadedWSGIServer.request_queue_size = 128
LINKS = 12


def post_together(urls: list[str], body: dict) -> list[int]:
    barrier = threading.Barrier(len(urls))
    statuses = [0] * len(urls)

    def post(index: int, url: str) -> None:
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses[index] = response.status
        except urllib.error.HTTPError as error:
            statuses[index] = error.code

    threads = [threading.Thread(target=post, args=(i, u)) for i, u in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def create_link(live_server, hr_token: str, body: dict) -> str:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/scheduling-links/", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Token {hr_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def test_links_for_one_interviewer_race(live_server):
    hr, interviewer = HRFactory(), InterviewerFactory()
    free(interviewer, 9, 13)
    hr_token = token_issue(user=hr)
    urls = []
    for _ in range(LINKS):
        candidate = CandidateFactory()
        free(candidate, 9, 13)
        token = create_link(live_server, hr_token, {"candidate": candidate.pk, "interviewers": [interviewer.pk],
                                                    "start": at(0).isoformat(), "end": at(0, day=1).isoformat()})
        urls.append(f"{live_server.url}/api/v1/public/links/{token}/book")
    statuses = post_together(urls, {"start": iso(10)})
    assert sorted(statuses) == [201] + [409] * (LINKS - 1)
    assert Interview.objects.count() == 1
    assert BusyPeriod.objects.filter(user=interviewer, source="interview").count() == 1


def test_one_link_booked_twice_at_once(live_server):
    hr, interviewer, candidate = HRFactory(), InterviewerFactory(), CandidateFactory()
    free(interviewer, 9, 13)
    free(candidate, 9, 13)
    token = create_link(live_server, token_issue(user=hr), {"candidate": candidate.pk, "interviewers": [interviewer.pk],
                                                            "start": at(0).isoformat(), "end": at(0, day=1).isoformat()})
    url = f"{live_server.url}/api/v1/public/links/{token}/book"
    statuses = post_together([url] * 6, {"start": iso(11)})
    assert sorted(statuses) == [201] + [409] * 5
    assert Interview.objects.count() == 1


def test_pool_links_race(live_server):
    """Three candidates, one pool of two, the same hour: two bookings, one for each member."""
    hr = HRFactory()
    members = [InterviewerFactory(), InterviewerFactory()]
    for member in members:
        free(member, 9, 13)
    hr_token = token_issue(user=hr)
    urls = []
    for _ in range(3):
        candidate = CandidateFactory()
        free(candidate, 9, 13)
        token = create_link(live_server, hr_token, {"candidate": candidate.pk, "pool": [m.pk for m in members],
                                                    "start": at(0).isoformat(), "end": at(0, day=1).isoformat()})
        urls.append(f"{live_server.url}/api/v1/public/links/{token}/book")
    statuses = post_together(urls, {"start": iso(10)})
    assert sorted(statuses) == [201, 201, 409]
    chosen = sorted(pk for i in Interview.objects.all() for pk in i.interviewers.values_list("pk", flat=True))
    assert chosen == sorted(m.pk for m in members)
