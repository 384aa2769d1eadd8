import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.feed_tokens import feed_tokens_refresh, hash_feed_token
from core.models import User
from tests.conftest import client_for
from tests.core.test_auth import register

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.parametrize("warm", [False, True])
def test_get_me_does_not_write(candidate, warm):
    api = client_for(candidate)
    if warm:
        api.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        r = api.get("/api/v1/me")
    assert r.status_code == 200
    assert writes(queries) == []
    # and the address it shows works
    assert Client().get(r.json()["feed_url"].removeprefix("http://testserver")).status_code == 200


def test_a_registered_user_has_a_working_feed_at_once(anon_client):
    r = register(anon_client)
    user = User.objects.get(pk=r.json()["id"])
    assert user.feed_token_hash is not None
    api = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        url = api.get("/api/v1/me").json()["feed_url"]
    assert writes(queries) == []
    assert Client().get(url.removeprefix("http://testserver")).status_code == 200


def test_refresh_after_the_secret_key_changed(candidate, settings):
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    url = client_for(candidate).get("/api/v1/me").json()["feed_url"]
    assert Client().get(url.removeprefix("http://testserver")).status_code == 404  # until refreshed
    assert feed_tokens_refresh() >= 1
    assert Client().get(url.removeprefix("http://testserver")).status_code == 200
    assert feed_tokens_refresh() == 0
    assert User.objects.get(pk=candidate.pk).feed_token_hash == hash_feed_token(url.rsplit("/", 1)[1][:-4])
