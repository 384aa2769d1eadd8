"""Listings: a plain list of at most page_size items, Link rel="next" when there are more (docs/api.md)."""

import re
from datetime import timedelta

import pytest

from scheduling.models import Interview
from slots.models import AvailabilityWindow, BusyPeriod, BusySource
from tests.conftest import assert_error
from tests.scheduling.helpers import at

pytestmark = pytest.mark.django_db


def next_link(response) -> str | None:
    header = response.headers.get("Link")
    if not header:
        return None
    match = re.fullmatch(r'<(http://testserver(/[^>]+))>; rel="next"', header)
    assert match, header
    return match.group(2)


def walk(client, url, max_pages=50) -> tuple[list[dict], int]:
    items, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.content
        assert isinstance(r.json(), list)
        items.extend(r.json())
        pages += 1
        url = next_link(r)
        assert pages <= max_pages
    return items, pages


def windows(user, count, *, same_start=False):
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(user=user, start=at(9) if same_start else at(0) + timedelta(hours=i),
                           end=at(10) if same_start else at(0) + timedelta(hours=i, minutes=30))
        for i in range(count)
    )


def test_pages_cover_every_row_once_in_order(hr_client, candidate):
    windows(candidate, 25)
    items, pages = walk(hr_client, "/api/v1/availability/?page_size=10&tz=UTC")
    assert pages == 3
    assert [w["id"] for w in items] == list(AvailabilityWindow.objects.order_by("start", "id").values_list("id", flat=True))
    assert [w["start"] for w in items] == sorted(w["start"] for w in items)


def test_rows_with_the_same_start_are_not_lost_between_pages(hr_client, candidate):
    windows(candidate, 7, same_start=True)
    items, pages = walk(hr_client, "/api/v1/availability/?page_size=2")
    assert pages == 4 and sorted(w["id"] for w in items) == sorted(AvailabilityWindow.objects.values_list("id", flat=True))
    assert len({w["id"] for w in items}) == 7


def test_filters_are_kept_on_the_next_page(hr_client, candidate, interviewer):
    windows(candidate, 30)
    windows(interviewer, 30)
    start, end = at(5).isoformat().replace("+00:00", "Z"), at(20).isoformat().replace("+00:00", "Z")
    url = f"/api/v1/availability/?user={candidate.pk}&start={start}&end={end}&page_size=4"
    first = hr_client.get(url)
    assert "start=" in first.headers["Link"] and f"user={candidate.pk}" in first.headers["Link"]
    items, _ = walk(hr_client, url)
    expected = AvailabilityWindow.objects.filter(user=candidate, end__gt=at(5), start__lt=at(20))
    assert [w["id"] for w in items] == list(expected.order_by("start", "id").values_list("id", flat=True))


def test_a_row_added_meanwhile_does_not_repeat_or_skip(hr_client, candidate):
    windows(candidate, 6)
    first = hr_client.get("/api/v1/availability/?page_size=3")
    AvailabilityWindow.objects.create(user=candidate, start=at(0) - timedelta(hours=5), end=at(0) - timedelta(hours=4))
    rest, _ = walk(hr_client, next_link(first))
    seen = [w["id"] for w in first.json()] + [w["id"] for w in rest]
    assert len(seen) == len(set(seen)) == 6


def test_default_and_largest_page(hr_client, candidate):
    windows(candidate, 501)
    r = hr_client.get("/api/v1/availability/")
    assert len(r.json()) == 500 and next_link(r)
    r = hr_client.get("/api/v1/availability/?page_size=1000")
    assert len(r.json()) == 501 and next_link(r) is None


def test_no_link_when_everything_fits(candidate_client, candidate):
    windows(candidate, 3)
    r = candidate_client.get("/api/v1/availability/")
    assert len(r.json()) == 3 and "Link" not in r.headers


def test_busy_and_interviews_paginate_too(hr_client, candidate, interviewer):
    BusyPeriod.objects.bulk_create(
        BusyPeriod(user=interviewer, start=at(0) + timedelta(hours=i), end=at(0) + timedelta(hours=i, minutes=30),
                   source=BusySource.MANUAL) for i in range(5))
    items, pages = walk(hr_client, "/api/v1/busy/?page_size=2")
    assert pages == 3 and len(items) == 5
    for i in range(5):
        interview = Interview.objects.create(candidate=candidate, start=at(i), end=at(i) + timedelta(hours=1))
        interview.interviewers.set([interviewer])
    items, pages = walk(hr_client, "/api/v1/interviews/?page_size=2&status=scheduled")
    assert pages == 3 and [i["start"] for i in items] == sorted(i["start"] for i in items)


@pytest.mark.parametrize("query", ["page_size=0", "page_size=1001", "page_size=x", "page_size=", "page_size=-1",
                                   "page_size=null", "cursor=xyz", "cursor=W10", "cursor=WzEsMl0",
                                   "cursor=" + "A" * 600, 'cursor=WyIyMDI3LTAxLTAxVDAwOjAwOjAwIiwxXQ'])
@pytest.mark.parametrize("path", ["/api/v1/availability/", "/api/v1/busy/", "/api/v1/interviews/"])
def test_bad_paging_is_400(hr_client, path, query):
    r = hr_client.get(f"{path}?{query}")
    if query == "page_size=":
        assert r.status_code == 200  # empty means the default
        return
    name = query.split("=")[0]
    assert name in assert_error(r, 400, "validation_error")["fields"]


def test_each_page_is_a_bounded_number_of_queries(hr_client, candidate, interviewer, django_assert_max_num_queries):
    windows(candidate, 60)
    for i in range(30):
        interview = Interview.objects.create(candidate=candidate, start=at(i), end=at(i) + timedelta(minutes=30))
        interview.interviewers.set([interviewer])
    hr_client.get("/api/v1/me")  # warm the token cache
    for path in ("/api/v1/availability/", "/api/v1/interviews/"):
        url = path + "?page_size=7"
        while url:
            with django_assert_max_num_queries(3):
                r = hr_client.get(url)
            url = next_link(r)
