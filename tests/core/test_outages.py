"""Redis is a cache, not a single point of failure; an unreachable database answers 503, not 500.

Against a real Redis started here on a loopback port (never the machine's shared one), then paused (SIGSTOP:
connections hang, as with a stuck server) or stopped (connections refused)."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from core import tokens
from core.cache_backends import CACHE_ERRORS, breaker_reset
from core.models import CacheRepair
from core.tasks import apply_cache_repairs
from tests.conftest import PASSWORD, assert_error, client_for
from tests.ports import free_port

pytestmark = pytest.mark.django_db

# Generous bound for one request while Redis hangs: Redis' own client would wait forever, the old settings
# 5 s; ours pay one 0.3 s timeout, then the breaker answers at once. Not a speed measurement.
PATIENCE = 3.0


def back():
    """Redis answers again: close the breaker as its time running out would."""
    breaker_reset()


def timed(call):
    started = time.monotonic()
    response = call()
    assert time.monotonic() - started < PATIENCE
    return response


def register(client, email):
    return client.post("/api/v1/auth/register", {"email": email, "password": "a sturdy passphrase",
                                                 "role": "candidate"}, format="json")


def login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json")


@pytest.mark.parametrize("outage", ["paused", "stopped"])
def test_calls_login_and_register_work_while_redis_is_down(on_redis, candidate, hr, interviewer, outage):
    client = client_for(candidate)
    assert client.get("/api/v1/me").status_code == 200
    assert on_redis.raw().dbsize() > 0  # the token really was cached in this Redis
    on_redis.pause() if outage == "paused" else on_redis.stop()

    assert timed(lambda: client.get("/api/v1/me")).json()["email"] == candidate.email
    assert timed(lambda: client.get("/api/v1/busy/")).status_code == 200
    r = timed(lambda: login(APIClient(), candidate.email))
    assert r.status_code == 200
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert timed(lambda: fresh.get("/api/v1/me")).status_code == 200
    assert timed(lambda: register(APIClient(), "newcomer@example.com")).status_code == 201
    url = f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}"
    assert timed(lambda: client_for(hr).get(url)).status_code == 200  # throttled per process meanwhile
    assert_error(timed(lambda: login(APIClient(), candidate.email, "wrong")), 401, "invalid_credentials")
    assert_error(timed(lambda: APIClient(HTTP_AUTHORIZATION="Token nope").get("/api/v1/me")), 401,
                 "not_authenticated")


def test_a_token_revoked_while_redis_hangs_never_comes_back(on_redis, candidate):
    client = client_for(candidate)
    other = client_for(candidate)
    assert client.get("/api/v1/me").status_code == 200  # "valid" is now in Redis ...
    assert other.get("/api/v1/me").status_code == 200
    on_redis.pause()
    assert timed(lambda: client.post("/api/v1/auth/logout")).status_code == 204  # ... and stays there
    assert_error(timed(lambda: client.get("/api/v1/me")), 401, "not_authenticated")  # the database says no
    assert CacheRepair.objects.count() == 1  # the tombstone Redis could not take
    assert other.get("/api/v1/me").status_code == 200

    on_redis.resume()
    back()
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")  # repaired before the cache is trusted
    assert CacheRepair.objects.count() == 0
    assert other.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 200


def test_a_password_change_while_redis_is_down_revokes_everywhere_after(on_redis, candidate):
    first, second = client_for(candidate), client_for(candidate)
    assert first.get("/api/v1/me").status_code == 200 and second.get("/api/v1/me").status_code == 200
    on_redis.pause()
    r = timed(lambda: first.post("/api/v1/me/password", {"current_password": PASSWORD,
                                                         "new_password": "another fine passphrase"}, format="json"))
    assert r.status_code == 200
    assert_error(second.get("/api/v1/me"), 401, "not_authenticated")
    on_redis.resume()
    back()
    assert_error(second.get("/api/v1/me"), 401, "not_authenticated")
    assert_error(first.get("/api/v1/me"), 401, "not_authenticated")


def test_the_schedule_applies_repairs_when_no_request_does(on_redis, candidate):
    client = client_for(candidate)
    key = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert client.get("/api/v1/me").status_code == 200
    on_redis.pause()
    tokens.token_revoke(key=key)
    assert CacheRepair.objects.count() == 1
    on_redis.resume()
    back()
    tokens._repairs_due = False  # as in another process, which never saw Redis fail
    assert apply_cache_repairs() == 1
    assert CacheRepair.objects.count() == 0
    assert cache.get(tokens._token_cache_key(tokens.hash_key(key))) == {"revoked": True}
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_the_login_limit_holds_in_the_process_while_redis_is_down(on_redis, candidate, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    on_redis.stop()
    client = APIClient()
    for _ in range(3):
        assert_error(timed(lambda: login(client, candidate.email, "wrong")), 401, "invalid_credentials")
    assert_error(login(client, candidate.email), 429, "rate_limited")


def test_throttles_count_in_the_process_while_redis_is_down(on_redis, settings, one_counter_window):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"register": "2/min"}}
    on_redis.pause()
    client = APIClient()
    assert register(client, "a@example.com").status_code == 201
    assert register(client, "b@example.com").status_code == 201
    assert_error(register(client, "c@example.com"), 429, "rate_limited")


def test_a_feature_that_needs_the_cache_answers_503_while_it_is_down(on_redis, interviewer, settings):
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "id", "secret"
    client = client_for(interviewer)
    assert client.get("/api/v1/me").status_code == 200
    on_redis.stop()
    # the OAuth verifier lives in the cache only: no way to finish the connection, so say so (not 500)
    assert_error(timed(lambda: client.get("/api/v1/integrations/google/authorize")), 503, "unavailable")


# --- the database ------------------------------------------------------------------------------------------

SERVE = """
import os, sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
django.setup()
from django.core.wsgi import get_wsgi_application

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def app_without_database():
    """The app in its own process, its DATABASE_URL pointing at a loopback port nothing listens on."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings",
           "DATABASE_URL": f"postgres://nobody@127.0.0.1:{free_port()}/nothing"}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen([sys.executable, "-c", SERVE], cwd=django_settings.BASE_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def call(base, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("method, path, body, token", [
    ("POST", "/api/v1/auth/register", {"email": "a@example.com", "password": "a sturdy passphrase",
                                       "role": "candidate"}, None),
    ("POST", "/api/v1/auth/token", {"email": "a@example.com", "password": "a sturdy passphrase"}, None),
    ("GET", "/api/v1/me", None, "some-token"),
    ("GET", "/api/v1/interviews/", None, "some-token"),
    ("GET", "/feeds/" + "x" * 64 + ".ics", None, None),
])
def test_an_unreachable_database_answers_503_unavailable(app_without_database, method, path, body, token):
    status, answer = call(app_without_database, method, path, body, token)
    assert status == 503, answer
    assert set(answer) == {"error"} and answer["error"]["code"] == "unavailable" and answer["error"]["message"]


# --- the task broker ---------------------------------------------------------------------------------------

@pytest.fixture
def broker_on(redis_server, monkeypatch):
    from django_q.conf import Conf

    from core.cache_backends import ResilientRedisBroker

    monkeypatch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{redis_server.port}/0")
    breaker_reset()
    yield ResilientRedisBroker(list_key="outage-test")
    breaker_reset()


def test_queueing_a_task_on_a_hung_redis_fails_in_bounded_time_then_at_once(redis_server, broker_on):
    assert broker_on.enqueue("a task") == 1
    redis_server.pause()
    started = time.monotonic()
    with pytest.raises(redis.exceptions.TimeoutError):
        broker_on.enqueue("another")
    assert time.monotonic() - started < broker_on.SOCKET_TIMEOUT + PATIENCE  # django-q's own would wait forever
    started = time.monotonic()
    with pytest.raises(redis.exceptions.ConnectionError):
        broker_on.enqueue("and another")  # the breaker: not even tried
    assert time.monotonic() - started < 1.0
    redis_server.resume()
    breaker_reset()
    assert broker_on.enqueue("after") >= 2


def test_the_worker_side_of_the_broker_still_delivers(broker_on):
    broker_on.enqueue("first")
    assert broker_on.dequeue() == [(None, b"first")]
    assert broker_on.dequeue() is None  # an empty queue: the server's 1 s wait, not a client timeout


def test_queueing_tasks_reuses_one_connection(redis_server, broker_on):
    """django-q makes a broker per task queued; they share the process's one client (and its connection)."""
    from core.cache_backends import ResilientRedisBroker

    watcher = redis.Redis(port=redis_server.port)

    def connections() -> int:
        return len([c for c in watcher.client_list() if c["cmd"] != "client|list"])

    ResilientRedisBroker(list_key="outage-test").enqueue("first")
    before = connections()
    for index in range(20):
        ResilientRedisBroker(list_key="outage-test").enqueue(f"task {index}")
    assert connections() == before  # before this, each of the 20 opened a connection of its own


def test_cache_calls_share_one_client_and_still_recover(on_redis, monkeypatch):
    """Each cache call used to build a new redis.Redis (its reply parsers made anew); now one per connection
    pool serves them all, and it still reaches Redis again after an outage."""
    cache.set("warm", 1)
    built = []
    real_init = redis.Redis.__init__
    monkeypatch.setattr(redis.Redis, "__init__", lambda self, *a, **k: built.append(1) or real_init(self, *a, **k))
    for index in range(10):
        cache.set(f"k{index}", index)
        assert cache.get(f"k{index}") == index
    assert cache.get_many(["k1", "k2"]) == {"k1": 1, "k2": 2}
    assert built == []
    on_redis.pause()
    with pytest.raises(CACHE_ERRORS):
        cache.get("k1")
    on_redis.resume()
    back()
    assert cache.get("k1") == 1 and built == []
