"""Every path that changes a password, deactivates a user or deletes a token revokes API tokens at once,
even while the token is in the (shared) cache. Each test warms the cache first, so a 401 proves the cached
entry was overruled, not that it expired."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuthToken, User
from core.tokens import hash_key, token_issue, user_for_key
from tests.conftest import PASSWORD, assert_error, client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


def warmed(user):
    api = client_for(user)
    assert api.get("/api/v1/me").status_code == 200  # the token and the user are now in the cache
    key = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert cache.get(f"auth:token:{hash_key(key)}") is not None
    return api


def refused(api) -> None:
    assert_error(api.get("/api/v1/me"), 401, "not_authenticated")


def test_password_reset_in_the_admin_form(client, hr, candidate):
    api = warmed(candidate)
    client.force_login(hr)
    r = client.post(f"/admin/core/user/{candidate.pk}/password/",
                    {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert r.status_code == 302, r.content[:2000]
    assert User.objects.get(pk=candidate.pk).check_password(NEW_PASSWORD)
    refused(api)
    assert not AuthToken.objects.filter(user=candidate).exists()  # the database says so first


def test_changepassword_command(candidate, monkeypatch):
    api = warmed(candidate)
    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("changepassword", candidate.email, stdout=io.StringIO())
    assert User.objects.get(pk=candidate.pk).check_password(NEW_PASSWORD)
    refused(api)


def test_set_password_and_save(candidate):
    api = warmed(candidate)
    user = User.objects.get(pk=candidate.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    refused(api)


def test_set_password_saved_with_update_fields(candidate):
    api = warmed(candidate)
    user = User.objects.get(pk=candidate.pk)
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])
    refused(api)


def test_deactivation_in_the_admin_form(client, hr, candidate):
    api = warmed(candidate)
    client.force_login(hr)
    page = client.get(f"/admin/core/user/{candidate.pk}/change/")
    assert page.status_code == 200
    form = {"email": candidate.email, "name": candidate.name, "role": candidate.role, "timezone": "UTC",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}  # is_active left out: unticked
    r = client.post(f"/admin/core/user/{candidate.pk}/change/", form)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r.content[:500]
    assert not User.objects.get(pk=candidate.pk).is_active
    refused(api)
    assert not AuthToken.objects.filter(user=candidate).exists()


def test_deactivation_by_save(candidate):
    api = warmed(candidate)
    user = User.objects.get(pk=candidate.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    refused(api)


def test_token_deleted_in_the_admin(client, hr, candidate):
    api, other = warmed(candidate), warmed(candidate)
    key = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    token = AuthToken.objects.get(key_hash=hash_key(key))
    client.force_login(hr)
    r = client.post(f"/admin/core/authtoken/{token.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    refused(api)
    assert other.get("/api/v1/me").status_code == 200  # only that token


def test_tokens_deleted_by_the_admin_bulk_action(client, hr, candidate):
    api = warmed(candidate)
    client.force_login(hr)
    ids = list(AuthToken.objects.filter(user=candidate).values_list("pk", flat=True))
    r = client.post("/admin/core/authtoken/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert r.status_code == 302
    refused(api)


def test_a_profile_change_keeps_tokens(candidate):
    api = warmed(candidate)
    user = User.objects.get(pk=candidate.pk)
    user.name = "Renamed"
    user.save()
    assert api.get("/api/v1/me").json()["name"] == "Renamed"


def test_revocation_is_in_the_database_even_if_the_cache_is_lost(candidate):
    """Another process whose cache never saw the tombstone (or a cache that was flushed) still refuses."""
    api = warmed(candidate)
    key = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    user = User.objects.get(pk=candidate.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    cache.clear()
    assert user_for_key(key) is None


def test_the_tombstone_is_in_the_shared_cache(client, hr, candidate):
    """What another process sees: a separate connection to the cache (on Redis, its own connection pool)
    holds the tombstone right after the admin deleted the token."""
    from django.core.cache import caches

    api = warmed(candidate)
    key_hash = hash_key(api._credentials["HTTP_AUTHORIZATION"].split()[1])
    other_process = caches.create_connection("default")
    assert other_process.get(f"auth:token:{key_hash}", {}).get("user_id") == candidate.pk
    client.force_login(hr)
    token = AuthToken.objects.get(key_hash=key_hash)
    assert client.post(f"/admin/core/authtoken/{token.pk}/delete/", {"post": "yes"}).status_code == 302
    assert other_process.get(f"auth:token:{key_hash}") == {"revoked": True}


def login(user) -> APIClient:
    r = APIClient().post("/api/v1/auth/token", {"email": user.email, "password": PASSWORD}, format="json")
    assert r.status_code == 200
    return APIClient(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")


def test_a_person_keeps_at_most_so_many_tokens_the_oldest_go_first(candidate, settings):
    settings.MAX_TOKENS_PER_USER = 3
    sessions = [login(candidate) for _ in range(3)]
    for api in sessions:
        assert api.get("/api/v1/me").status_code == 200  # each cached now
    sessions.append(login(candidate))
    refused(sessions[0])  # the oldest, though cached
    assert all(api.get("/api/v1/me").status_code == 200 for api in sessions[1:])
    assert AuthToken.objects.filter(user=candidate).count() == 3


def test_expired_tokens_are_purged_and_live_ones_kept(candidate, interviewer):
    from core.tasks import purge_expired_tokens

    live = warmed(interviewer)
    with time_machine.travel(timezone.now() - timedelta(days=settings.AUTH_TOKEN_TTL_DAYS + 1)):
        expired = [token_issue(user=candidate) for _ in range(3)]
    assert purge_expired_tokens() == 3
    assert not AuthToken.objects.filter(key_hash__in=[hash_key(k) for k in expired]).exists()
    assert AuthToken.objects.filter(user=interviewer).count() == 1 and live.get("/api/v1/me").status_code == 200
    assert purge_expired_tokens() == 0
