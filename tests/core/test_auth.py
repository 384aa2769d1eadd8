import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import AuthToken, User
from tests import dates
from tests.conftest import PASSWORD, assert_error, client_for

pytestmark = pytest.mark.django_db


def register(client, **overrides):
    body = {"email": "new@example.com", "password": "a sturdy passphrase", "role": "candidate", **overrides}
    return client.post("/api/v1/auth/register", body, format="json")


def test_register_then_login_then_me(anon_client):
    r = register(anon_client, name="Nia", timezone="Asia/Kolkata")
    assert r.status_code == 201
    assert r.json() == {"id": r.json()["id"], "email": "new@example.com", "name": "Nia", "role": "candidate",
                        "timezone": "Asia/Kolkata"}
    r = anon_client.post("/api/v1/auth/token", {"email": "NEW@example.com", "password": "a sturdy passphrase"}, format="json")
    assert r.status_code == 200
    assert r.json()["user"]["email"] == "new@example.com"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    me = client.get("/api/v1/me").json()
    assert me["role"] == "candidate" and me["timezone"] == "Asia/Kolkata"
    assert me["feed_url"].startswith("http://testserver/feeds/") and me["feed_url"].endswith(".ics")


def test_register_refuses_taken_email_case_insensitively(anon_client, candidate):
    error = assert_error(register(anon_client, email="CAND@example.com"), 400, "validation_error")
    assert "email" in error["fields"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"role": "hr"}, "role"),
        ({"role": "admin"}, "role"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
    ],
)
def test_register_bad_input(anon_client, overrides, field):
    error = assert_error(register(anon_client, **overrides), 400, "validation_error")
    assert field in error["fields"]


def test_register_malformed_json(anon_client):
    r = anon_client.post("/api/v1/auth/register", "{not json", content_type="application/json")
    assert_error(r, 400, "validation_error")


def test_register_wrong_media_type(anon_client):
    r = anon_client.post("/api/v1/auth/register", "email=a", content_type="text/plain")
    assert_error(r, 415, "unsupported_media_type")


def test_register_body_that_is_not_an_object(anon_client):
    r = anon_client.post("/api/v1/auth/register", [1, 2], format="json")
    assert_error(r, 400, "validation_error")


def test_wrong_password_is_invalid_credentials(anon_client, candidate):
    r = anon_client.post("/api/v1/auth/token", {"email": candidate.email, "password": "wrong"}, format="json")
    assert_error(r, 401, "invalid_credentials")
    r = anon_client.post("/api/v1/auth/token", {"email": "nobody@example.com", "password": "x"}, format="json")
    assert_error(r, 401, "invalid_credentials")


def test_repeated_failures_are_rate_limited(anon_client, candidate, settings, one_counter_window):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        anon_client.post("/api/v1/auth/token", {"email": candidate.email, "password": "wrong"}, format="json")
    r = anon_client.post("/api/v1/auth/token", {"email": candidate.email, "password": PASSWORD}, format="json")
    assert_error(r, 429, "rate_limited")


def test_no_token_is_401(anon_client):
    assert_error(anon_client.get("/api/v1/me"), 401, "not_authenticated")


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "Bearer x", "Token " + "x" * 500])
def test_bad_tokens_are_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_tokens_are_stored_hashed(candidate):
    client = client_for(candidate)
    key = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert not AuthToken.objects.filter(key_hash=key).exists()
    assert AuthToken.objects.filter(user=candidate).count() == 1


def test_warm_cache_request_runs_no_query(candidate):
    client = client_for(candidate)
    assert client.get("/api/v1/busy/").status_code == 200  # warms the cache
    with CaptureQueriesContext(connection) as queries:
        r = client.get("/api/v1/slots/")  # the auth runs; the permission check then refuses (candidate)
    assert r.status_code == 403
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_logout_revokes_at_once(candidate):
    client = client_for(candidate)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_password_change_revokes_every_token(candidate):
    first, second = client_for(candidate), client_for(candidate)
    assert second.get("/api/v1/me").status_code == 200  # cached
    r = first.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "another fine passphrase"},
                   format="json")
    assert r.status_code == 200
    assert_error(second.get("/api/v1/me"), 401, "not_authenticated")
    assert_error(first.get("/api/v1/me"), 401, "not_authenticated")
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert fresh.get("/api/v1/me").status_code == 200


def test_password_change_checks_current_password(candidate_client):
    r = candidate_client.post("/api/v1/me/password", {"current_password": "wrong", "new_password": "x y z w q r"},
                              format="json")
    assert "current_password" in assert_error(r, 400, "validation_error")["fields"]


def test_deactivated_user_is_refused_even_when_cached(candidate):
    client = client_for(candidate)
    assert client.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=candidate.pk).update(is_active=False)
    candidate.refresh_from_db()
    candidate.save()  # a save (admin, shell) forgets the cached user
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_patch_me_updates_profile_and_cache(candidate_client):
    assert candidate_client.get("/api/v1/me").json()["timezone"] == "UTC"
    r = candidate_client.patch("/api/v1/me", {"timezone": "Europe/Paris", "name": "Cara C."}, format="json")
    assert r.status_code == 200 and r.json()["timezone"] == "Europe/Paris"
    assert candidate_client.get("/api/v1/me").json()["name"] == "Cara C."
    assert User.objects.get(email="cand@example.com").check_password(PASSWORD)  # the cached copy saved nothing else


def test_patch_me_unknown_timezone(candidate_client):
    r = candidate_client.patch("/api/v1/me", {"timezone": "Nowhere/Land"}, format="json")
    assert "timezone" in assert_error(r, 400, "validation_error")["fields"]


def test_hr_role_and_users_list(hr_client, candidate, interviewer):
    assert hr_client.get("/api/v1/me").json()["role"] == "hr"
    body = hr_client.get("/api/v1/users/?role=interviewer").json()
    assert body["count"] == 1 and body["results"][0]["id"] == interviewer.pk
    assert {u["role"] for u in hr_client.get("/api/v1/users/").json()["results"]} == {"hr", "candidate", "interviewer"}
    assert_error(hr_client.get("/api/v1/users/?role=boss"), 400, "validation_error")
    assert_error(hr_client.get("/api/v1/users/?page=99"), 404, "not_found")


def test_users_list_is_hr_only(candidate_client):
    assert_error(candidate_client.get("/api/v1/users/"), 403, "permission_denied")


def test_unknown_route_and_method_answer_in_the_error_shape(candidate_client):
    assert_error(candidate_client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(candidate_client.delete("/api/v1/me"), 405, "method_not_allowed")


def test_createsuperuser_noinput(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boss@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a sturdy passphrase")
    call_command("createsuperuser", "--noinput")
    boss = User.objects.get(email="boss@example.com")
    assert boss.is_superuser and boss.effective_role == "hr" and boss.check_password("a sturdy passphrase")


def test_errors_keep_their_shape_with_debug_on(candidate_client, settings):
    settings.DEBUG = True
    assert_error(candidate_client.get("/api/v1/interviews/abc/"), 404, "not_found")
    assert_error(candidate_client.get("/nowhere"), 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_answers_in_the_error_shape(hr_client, candidate, interviewer, monkeypatch, settings, debug):
    settings.DEBUG = debug
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("slots.views.match", broken)
    r = hr_client.get(f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}")
    assert_error(r, 500, "server_error")


def test_names_are_one_line(anon_client):
    r = anon_client.post("/api/v1/auth/register", {"email": "n@example.com", "password": "a sturdy passphrase",
                                                   "role": "candidate", "name": "Ada\r\n  Lovelace"}, format="json")
    assert r.status_code == 201 and r.json()["name"] == "Ada Lovelace"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/me/", "/api/v1/busy", "/api/v1/busy/"])
def test_routes_answer_with_or_without_the_trailing_slash(candidate_client, path):
    assert candidate_client.get(path).status_code == 200


def test_posts_keep_their_body_without_the_trailing_slash(candidate_client):
    day = dates.monday(2)
    r = candidate_client.post("/api/v1/availability", {"start": f"{day}T10:00:00Z", "end": f"{day}T11:00:00Z"},
                              format="json")
    assert r.status_code == 201


def test_a_late_cache_fill_cannot_revive_a_revoked_token(candidate):
    from django.core.cache import cache

    from core.tokens import _token_cache_key, hash_key, token_issue, token_revoke, user_for_key

    key = token_issue(user=candidate)
    token_revoke(key=key)
    # what a request that read the token from the database before the revocation would then write:
    cache.add(_token_cache_key(hash_key(key)), {"user_id": candidate.pk, "expires": 9e12}, 300)
    assert user_for_key(key) is None
