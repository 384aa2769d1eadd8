"""Schemathesis over every operation of the OpenAPI schema, as HR and as a candidate: no answer is a 5xx, every
answer's status, content type and body are the ones the schema documents (errors in the one error shape).

Opt-in, as it takes minutes: SCHEMATHESIS_EXAMPLES=N (examples per operation and caller) runs it, as .ci/run does
on SQLite; `SCHEMATHESIS_EXAMPLES=20 bin/test tests/contract`. Requests go through the WSGI application
in-process, against the test database.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from django.core import signals
from django.db import close_old_connections

from config.wsgi import application
from core.tokens import token_issue
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "0"))
pytestmark = pytest.mark.skipif(not EXAMPLES, reason="set SCHEMATHESIS_EXAMPLES=N to run (.ci/run does)")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# The schema as the running application serves it (generating it needs no database). Microsoft's authorize and
# callback are left out: msal reads the identity provider's metadata before anything else, so with none reachable
# they can only answer their documented 503 `unavailable`; tests/integrations/test_microsoft.py covers them against
# a local emulator of that provider.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application).exclude(
    path_regex=r"^/api/v1/integrations/microsoft/(authorize|callback)$"
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Like Django's test client: a request must not close the test's database connection when it ends."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _google_configured(settings):
    """Google Calendar configured (its endpoints then answer rather than 503), pointing where nothing listens."""
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "id", "secret"
    settings.GOOGLE_TOKEN_URI = settings.GOOGLE_API_ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture
def hr(db):
    InterviewerFactory()  # one of each role exists, so ids of every kind can be found
    return HRFactory()


@pytest.fixture
def candidate(db):
    InterviewerFactory()
    return CandidateFactory()


def call(case, user):
    # a fresh token each time: one case may log out or change the password
    token = token_issue(user=user)
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=max(EXAMPLES, 1), deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_as_hr(case, hr):
    call(case, hr)


@schema.parametrize()
@settings(max_examples=max(EXAMPLES, 1), deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_as_a_candidate(case, candidate):
    call(case, candidate)
