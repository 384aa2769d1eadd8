"""The OpenAPI schema tells a client what it needs: every error answer (one shape), the Idempotency-Key header,
enums, and how to send the token; the 401 says which header format is expected."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from django.urls import resolve

from core.schema import is_idempotent
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def spec():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method.upper(), op


def test_every_operation_documents_its_errors_in_the_one_shape(spec):
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, method, op in operations(spec):
        errors = {code: r for code, r in op["responses"].items() if code.startswith("4")}
        assert errors, (method, path)
        for code, response in errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            assert response["description"].startswith("`"), (method, path, code)  # names the error code


def test_statuses_follow_what_the_operation_reads(spec):
    ops = {(method, path): op["responses"] for path, method, op in operations(spec)}
    assert {"400", "401", "404", "409", "415"} <= set(ops[("POST", "/api/v1/interviews/")])
    assert "403" in ops[("POST", "/api/v1/interviews/")]  # HR only
    assert "403" in ops[("GET", "/api/v1/slots/")] and "429" in ops[("GET", "/api/v1/slots/")]
    assert "404" in ops[("GET", "/api/v1/interviews/{id}/")]
    assert "413" in ops[("POST", "/api/v1/calendars/import/")]
    assert "401" in ops[("POST", "/api/v1/auth/token")]  # invalid_credentials
    assert "invalid_credentials" in ops[("POST", "/api/v1/auth/token")]["401"]["description"]
    assert "403" not in ops[("GET", "/api/v1/me")] and "400" not in ops[("GET", "/api/v1/me")]


def test_idempotency_key_is_documented_on_every_creating_post_and_only_there(spec):
    documented, idempotent = set(), set()
    for path, method, op in operations(spec):
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in op.get("parameters", [])):
            documented.add((method, path))
            assert "409" in op["responses"]
        view = resolve(path.replace("{id}", "1")).func.view_class
        if is_idempotent(view, method):
            idempotent.add((method, path))
    assert documented == idempotent
    for creating in ("/api/v1/interviews/", "/api/v1/availability/", "/api/v1/availability/weekly/",
                     "/api/v1/busy/", "/api/v1/calendars/import/", "/api/v1/calendars/subscriptions/",
                     "/api/v1/interview-requests/"):
        assert ("POST", creating) in documented, creating


def test_interview_status_is_an_enum(spec):
    params = spec["paths"]["/api/v1/interviews/"]["get"]["parameters"]
    status = next(p for p in params if p["name"] == "status")
    assert sorted(status["schema"]["enum"]) == ["cancelled", "scheduled"]


def test_the_authorize_box_shows_the_header_format_in_words_that_survive_html(spec):
    description = spec["components"]["securitySchemes"]["tokenAuth"]["description"]
    assert "Token 0123abcd" in description and "<" not in description and ">" not in description


def test_a_401_says_which_header_is_expected(anon_client, candidate):
    no_header = assert_error(anon_client.get("/api/v1/me"), 401, "not_authenticated")
    assert "Authorization: Token <key>" in no_header["message"]
    from core.tokens import token_issue

    key = token_issue(user=candidate)
    anon_client.credentials(HTTP_AUTHORIZATION=key)  # the bare key, as a newcomer pastes it
    bare = assert_error(anon_client.get("/api/v1/me"), 401, "not_authenticated")
    assert "'Token <key>'" in bare["message"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert "'Token <key>'" in assert_error(anon_client.get("/api/v1/me"), 401, "not_authenticated")["message"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anon_client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("value", ["null", "0", "-1", "abc", "501", "1e3", ""])
def test_page_size_must_be_a_whole_number_in_range(hr_client, value):
    r = hr_client.get(f"/api/v1/users/?page_size={value}")
    assert "page_size" in assert_error(r, 400, "validation_error")["fields"]


def test_a_good_page_size_is_used(hr_client, candidate, interviewer):
    body = hr_client.get("/api/v1/users/?page_size=1").json()
    assert len(body["results"]) == 1 and body["next"]


def test_errors_are_json_whatever_format_was_asked(hr_client):
    for url in ("/api/v1/interviews/999999/invite.ics?format=ics", "/api/v1/interviews/999999/invite.ics"):
        r = hr_client.get(url, HTTP_ACCEPT="text/calendar")
        assert r["Content-Type"].startswith("application/json")
        assert_error(r, 404, "not_found")
