"""GET /healthz and /readyz: outside /api/v1/, no authentication, the error shape on failure."""

import json
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from tests.conftest import assert_error
from tests.ops.procs import ROOT, production_env

# Nothing listens on port 1 of the loopback: a Redis there is down.
DOWN_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_answers_without_touching_the_database():
    # no django_db mark: any query would fail the test
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_probes_answer_any_host_and_plain_http():
    # a load balancer probes by the process's address, which is not in ALLOWED_HOSTS
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = Client().get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200


def test_healthz_refuses_other_methods_in_the_error_shape():
    response = Client().post("/healthz")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_readyz_checks_database_cache_and_broker():
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_names_a_cache_that_is_down():
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": DOWN_REDIS}}):
        response = Client().get("/readyz")
    error = assert_error(response, 503, "unavailable")
    assert error["failed"] == ["cache"]
    assert "cache" in error["message"]
    assert error["checks"]["database"] == "ok" and error["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_readyz_names_a_broker_that_is_down(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": DOWN_REDIS}
    settings.Q_CLUSTER.pop("orm", None)
    error = assert_error(Client().get("/readyz"), 503, "unavailable")
    assert error["failed"] == ["broker"]


def test_readyz_names_a_database_that_is_down(tmp_path):
    # a real app process whose database port is closed (nothing listens on port 1): 503 naming the database
    # (and the database broker); /healthz still answers
    code = ("import django, json; django.setup(); from django.test import Client; c = Client();"
            "r = c.get('/readyz'); h = c.get('/healthz');"
            "print(json.dumps([r.status_code, r.json(), h.status_code]))")
    env = production_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
                         DJANGO_ALLOWED_HOSTS="testserver")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    status, body, health = json.loads(result.stdout.strip().splitlines()[-1])
    assert (status, health) == (503, 200)
    assert body["error"]["code"] == "unavailable" and "database" in body["error"]["failed"]
    assert body["error"]["checks"]["database"].startswith("OperationalError")
