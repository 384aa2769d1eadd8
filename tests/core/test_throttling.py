"""Throttles: per user or client IP, in the shared cache, 429 rate_limited with Retry-After."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from core.env import env_rate
from core.rates import parse_rate
from core.throttling import PublicLinkThrottle, PublicThrottle
from tests.conftest import assert_error, client_for
from tests.factories import HRFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_counter_window")]


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}

    return set_rates


def assert_throttled(response) -> int:
    assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def register(client, n, **extra):
    return client.post("/api/v1/auth/register", {"email": f"r{n}@example.com", "password": "a sturdy passphrase",
                                                 "role": "candidate"}, format="json", **extra)


def test_register_is_throttled_per_client_ip(rates):
    rates(register="3/min")
    client = APIClient()
    for n in range(3):
        assert register(client, n).status_code == 201
    retry_after = assert_throttled(register(client, 3))
    assert retry_after <= 60
    assert register(client, 4, REMOTE_ADDR="10.0.0.8").status_code == 201  # another client is not held back


def test_a_forged_forwarded_for_does_not_dodge_the_limit_without_a_trusted_proxy(rates, settings):
    rates(register="2/min")
    settings.TRUSTED_PROXY_COUNT = 0
    client = APIClient()
    for n in range(2):
        assert register(client, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code == 201
    assert_throttled(register(client, 2, HTTP_X_FORWARDED_FOR="198.51.100.77"))


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(rates, settings):
    rates(register="2/min")
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    # the proxy appends the address it saw; what the client wrote to the left of it is not trusted
    for n in range(2):
        assert register(client, n, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.5").status_code == 201
    assert_throttled(register(client, 2, HTTP_X_FORWARDED_FOR="6.6.6.9, 203.0.113.5"))
    assert register(client, 3, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 201
    assert register(client, 4, HTTP_X_FORWARDED_FOR="not-an-ip, junk").status_code == 201  # falls back to REMOTE_ADDR


def test_token_is_throttled_per_client_ip(rates, candidate):
    rates(token="2/min")
    client = APIClient()
    body = {"email": candidate.email, "password": "correct horse battery"}
    assert client.post("/api/v1/auth/token", body, format="json").status_code == 200
    assert client.post("/api/v1/auth/token", body, format="json").status_code == 200
    assert_throttled(client.post("/api/v1/auth/token", body, format="json"))


def test_slots_are_throttled_per_user(rates, hr, candidate, interviewer):
    rates(slots="2/min")
    first, second = client_for(hr), client_for(HRFactory())
    url = f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}"
    assert first.get(url).status_code == 200
    assert first.get(url).status_code == 200
    assert_throttled(first.get(url))
    assert second.get(url).status_code == 200  # another user from the same address is not held back


def test_imports_count_posts_not_reads(rates, candidate):
    rates(imports="2/min")
    client = client_for(candidate)
    for _ in range(5):
        assert client.get("/api/v1/calendars/subscriptions/").status_code == 200
    for _ in range(2):
        r = client.post("/api/v1/calendars/import/", {"url": "http://127.0.0.1:9/x.ics"}, format="json")
        assert r.status_code == 400  # counted even when the import itself fails
    assert_throttled(client.post("/api/v1/calendars/import/", {"url": "http://127.0.0.1:9/x.ics"}, format="json"))
    assert_throttled(client.post("/api/v1/calendars/subscriptions/", {"url": "http://127.0.0.1:9/x.ics"},
                                 format="json"))


def test_any_sync_path_is_throttled_per_user(rates, candidate, interviewer):
    rates(sync="1/min")
    client = client_for(interviewer)
    assert_error(client.post("/api/v1/integrations/google/sync"), 404, "not_found")  # not connected: counted
    assert_throttled(client.post("/api/v1/integrations/google/sync"))
    assert_throttled(client.post("/api/v1/integrations/google/sync/"))
    assert_error(client_for(candidate).post("/api/v1/integrations/google/sync"), 404, "not_found")


def test_a_scope_without_a_rate_is_not_throttled(rates, candidate, interviewer, hr_client):
    rates()
    url = f"/api/v1/slots/?candidate={candidate.pk}&interviewer={interviewer.pk}"
    assert all(hr_client.get(url).status_code == 200 for _ in range(5))


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle, PublicLinkThrottle]

    def get(self, request, token):
        return Response({"token": token})


def call_public(token: str, ip: str = "127.0.0.1"):
    request = APIRequestFactory().get(f"/api/v1/public/links/{token}", REMOTE_ADDR=ip)
    response = PublicView.as_view()(request, token=token)
    response.render()
    response.json = lambda: json.loads(response.content)
    return response


def test_public_scopes_per_ip_and_per_link(rates):
    rates(public="3/min", public_link="2/min")
    assert call_public("a" * 40).status_code == 200
    assert call_public("a" * 40, ip="10.0.0.2").status_code == 200
    assert_throttled(call_public("a" * 40, ip="10.0.0.3"))  # the link, whoever asks
    assert call_public("b" * 40).status_code == 200  # 2nd from 127.0.0.1
    assert call_public("c" * 40).status_code == 200  # 3rd
    assert_throttled(call_public("d" * 40))  # the address, whatever link


@pytest.mark.parametrize("rate, parsed", [
    ("100/min", (100, 60)), ("1000/hour", (1000, 3600)), ("5/s", (5, 1)), ("10/15m", (10, 900)),
    ("3/day", (3, 86400)), (" 7 / 2h ", (7, 7200)), ("", None), (None, None),
])
def test_parse_rate(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["100", "x/min", "10/fortnight", "-1/min", "10/0m", "1e3/min"])
def test_bad_rates_fail_loudly(rate, monkeypatch):
    with pytest.raises(ValueError):
        parse_rate(rate)
    monkeypatch.setenv("THROTTLE_SLOTS", rate)
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_SLOTS"):
        env_rate("THROTTLE_SLOTS", "600/min")
