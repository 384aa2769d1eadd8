"""One error shape everywhere, for every method: no HTML answer outside the admin (CSRF pages included)."""

import json

import pytest
from django.test import Client, RequestFactory

from core.errors import csrf_failure
from tests.conftest import assert_error
from tests.test_no_server_errors import concrete_paths

pytestmark = pytest.mark.django_db

UNMATCHED = ["/api/v1/interviews/null/cancel", "/api/v1/interviews/null/cancel/", "/api/v1/nothing-here",
             "/feeds/", "/feeds/x.ics/extra", "/nothing", "/api/v2/interviews/"]


@pytest.fixture
def browser():
    """A client that checks CSRF like a real browser request would be checked (APIClient does not)."""
    return Client(enforce_csrf_checks=True)


def test_the_issues_examples(browser):
    assert_error(browser.post("/api/v1/interviews/null/cancel"), 404, "not_found")
    r = browser.post("/feeds/x.ics")
    assert_error(r, 405, "method_not_allowed")
    assert r["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unmatched_paths_answer_the_json_404_whatever_the_method(browser, method):
    for path in UNMATCHED:
        assert_error(getattr(browser, method)(path, "{}", content_type="application/json"), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_route_answers_a_csrf_page(browser, method):
    for path in concrete_paths():
        r = getattr(browser, method)(path, "{}", content_type="application/json")
        assert r.status_code < 500, (path, r.status_code)
        assert b"CSRF" not in r.content, (path, r.content[:200])
        if r.status_code >= 400:
            assert r["Content-Type"].startswith("application/json"), (path, r.status_code, r["Content-Type"])
            assert set(r.json()) == {"error"}


def test_the_admin_keeps_its_csrf_protection(browser):
    r = browser.post("/admin/login/", {"username": "x", "password": "y"})
    assert r.status_code == 403 and b"CSRF" in r.content


def test_a_csrf_refusal_outside_the_admin_is_in_the_error_shape():
    factory = RequestFactory()
    refused = csrf_failure(factory.post("/some/plain/view"), reason="no token")
    assert refused.status_code == 403
    assert json.loads(refused.content)["error"]["code"] == "permission_denied"
    page = csrf_failure(factory.post("/admin/login/"), reason="no token")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_too_many_query_parameters_is_413_naming_the_limit(hr_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    r = hr_client.get("/api/v1/slots/?" + "&".join(f"interviewer={n}" for n in range(1, 60)))
    assert_error(r, 413, "payload_too_large")
    assert r.json()["error"]["message"] == "The request has more than 50 parameters (query string or form fields)."
