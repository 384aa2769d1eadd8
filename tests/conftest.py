import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from hypothesis import settings
from rest_framework.test import APIClient

from core.tokens import token_issue
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.redis_server import on_redis, redis_server  # noqa: F401 (fixtures: a Redis of the test's own)

PASSWORD = "correct horse battery"

# Hypothesis profiles: property tests that do not set max_examples take it from here. `ci` is what .ci/run uses
# on SQLite (HYPOTHESIS_PROFILE=ci): ten times the examples, which the matcher's DST fast path needs to be
# checked well (a mutation run showed survivors at 80 examples that die at 1000).
settings.register_profile("dev", max_examples=100)
settings.register_profile("ci", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days", type=int, default=int(os.environ.get("TEST_CLOCK_SHIFT_DAYS", "0")),
        help="run the whole session with the clock moved this many days from today (env TEST_CLOCK_SHIFT_DAYS); "
             "proves no test depends on the calendar date",
    )


def pytest_configure(config):
    days = config.getoption("--clock-shift-days")
    if days:
        # Started before collection, so module-level dates (tests/scheduling/helpers.py) are computed in the
        # shifted world too; tick=True keeps time moving. Tests may still freeze the clock inside this travel.
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    if days:
        return f"clock shifted {days:+d} days: today is {datetime.now(UTC):%Y-%m-%d} for this session"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    return client


@pytest.fixture
def hr(db):
    return HRFactory(email="hr@example.com", name="Helen HR")


@pytest.fixture
def candidate(db):
    return CandidateFactory(email="cand@example.com", name="Cara Candidate")


@pytest.fixture
def interviewer(db):
    return InterviewerFactory(email="int@example.com", name="Ivan Interviewer")


@pytest.fixture
def outsider(db):
    return CandidateFactory(email="outsider@example.com", name="Otto Outsider")


@pytest.fixture
def hr_client(hr):
    return client_for(hr)


@pytest.fixture
def candidate_client(candidate):
    return client_for(candidate)


@pytest.fixture
def interviewer_client(interviewer):
    return client_for(interviewer)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def anon_client():
    return APIClient()


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape of API.md, with this status and code."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if code == "validation_error" and "fields" in error:
        assert all(isinstance(v, list) and v for v in error["fields"].values())
    return error


@pytest.fixture
def one_counter_window(monkeypatch):
    """The fixed-window counters behind throttles and login limits (``core.counters``) see one instant, a second
    into an hour: a test's hits never straddle a window's end (a slow test crossing a minute's end saw its
    count start again)."""
    from types import SimpleNamespace

    from core import counters

    instant = float(int(counters.time.time()) // 3600 * 3600 + 1)
    monkeypatch.setattr(counters, "time", SimpleNamespace(time=lambda: instant))
