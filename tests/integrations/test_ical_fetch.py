"""The SSRF rule (every address that is not globally routable, and the metadata ranges, is refused), the
whole-download deadline, and Basic auth, against real HTTP servers on loopback only."""

import ipaddress
import time

import pytest

from integrations.ical.fetch import BLOCKED, Credentials, FetchError, Policy, _is_public, fetch
from integrations.models import CalendarSource
from integrations.google.crypto import decrypt
from integrations.services import subscription_sync
from tests.conftest import assert_error
from tests.integrations.calendar_server import calendar_server
from tests.integrations.silent_server import dripping_server
from tests.integrations.test_ical_import_api import ics

# Classification only: nothing is sent to any of these addresses.
NOT_PUBLIC = [
    "100.64.0.1", "100.100.100.200", "100.127.255.254",  # carrier-grade NAT, Alibaba metadata
    "192.0.0.1", "192.0.0.9", "192.0.0.170",  # IETF protocol assignments (some of them is_global in Python)
    "169.254.169.254", "fd00:ec2::254",  # AWS/GCP/Azure metadata
    "fec0::1", "fec0:1:2::3",  # site-local IPv6
    "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::a00:1",  # NAT64 of metadata / loopback / private
    "2002:7f00:1::1", "2002:a9fe:a9fe::1",  # 6to4 of loopback and metadata
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "::",
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.255.255.254", "0.0.0.0",
    "198.18.0.1", "192.88.99.1", "233.252.0.1", "224.0.0.251", "255.255.255.255", "240.0.0.1",
    "192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "fc00::1", "fe80::1", "ff02::1", "::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_every_non_global_or_metadata_address_is_refused(address):
    assert not _is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert _is_public(ipaddress.ip_address(address))


def test_the_rule_is_is_global_plus_the_explicit_ranges():
    for network in BLOCKED:
        assert not _is_public(network[0]) and not _is_public(network[-1]), network


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/x.ics", "http://127.1/x.ics", "http://2130706433/x.ics", "http://0x7f000001/x.ics",
    "http://0177.0.0.1/x.ics", "http://127.000.000.001/x.ics", "http://[::1]/x.ics", "http://[::ffff:7f00:1]/x.ics",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/x.ics", "http://localhost/x.ics", "http://localhost./x.ics",
    "http://LOCALHOST:80/x.ics", "https://127.0.0.1:443/x.ics", "http://0/x.ics",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_the_fetcher_refuses_loopback_in_any_spelling_before_connecting(url):
    with pytest.raises(FetchError) as caught:
        fetch(url, Policy(max_bytes=1000, timeout=2), credentials=Credentials("u", "p"))
    assert "private network" in str(caught.value) or "could not be found" in str(caught.value), caught.value


@pytest.mark.django_db
@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_loopback_in_any_spelling_is_refused_on_import_and_subscription(candidate_client, url):
    """Refused by the URL check or by the address rule; never fetched."""
    for body in ({"url": url}, {"url": url, "username": "u", "password": "p"}):
        r = candidate_client.post("/api/v1/calendars/import/", body, format="json")
        assert "url" in assert_error(r, 400, "validation_error")["fields"]
    r = candidate_client.post("/api/v1/calendars/subscriptions/", {"url": url}, format="json")
    if r.status_code == 201:  # a well-formed URL is accepted and fails on its first sync, with the reason kept
        source = CalendarSource.objects.get(pk=r.json()["id"])
        assert subscription_sync(source_id=source.pk) == "failed"
        source.refresh_from_db()
        assert "private network" in source.last_error or "could not be found" in source.last_error
    else:
        assert "url" in assert_error(r, 400, "validation_error")["fields"]


def test_a_slow_drip_is_cut_at_the_whole_download_deadline():
    policy = Policy(max_bytes=100_000, timeout=1.5, allowed_networks=("127.0.0.1/32",))
    with calendar_server({"/drip.ics": ("drip", 0.3)}) as (base, _):
        started = time.monotonic()
        with pytest.raises(FetchError, match="took too long"):
            fetch(f"{base}/drip.ics", policy)
        took = time.monotonic() - started
    assert took < policy.timeout + 0.5, took


def test_dripped_headers_are_cut_at_the_whole_download_deadline():
    """Before the body's own deadline can apply, the status line and headers are read with a timeout per
    read: a server sending them a byte just inside it held an import (in a web request) without end."""
    policy = Policy(max_bytes=100_000, timeout=1.0, allowed_networks=("127.0.0.1/32",))
    with dripping_server(every=0.05, lasting=3.0) as (base, sent):
        started = time.monotonic()
        with pytest.raises(FetchError, match="took too long"):
            fetch(f"{base}/cal.ics", policy)
        took = time.monotonic() - started
    assert took < policy.timeout + 0.7, took  # uncut: as long as the server dripped (6 s)
    assert sent[0] > 5


@pytest.mark.django_db
def test_a_slow_drip_import_answers_400_in_time(candidate_client, settings):
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.ICAL_FETCH_TIMEOUT_SECONDS = 1
    with calendar_server({"/drip.ics": ("drip", 0.2)}) as (base, _):
        started = time.monotonic()
        r = candidate_client.post("/api/v1/calendars/import/", {"url": f"{base}/drip.ics"}, format="json")
        took = time.monotonic() - started
    assert "took too long" in assert_error(r, 400, "validation_error")["fields"]["url"][0]
    assert took < 2.0, took


SECRET = "s3cret pass: with colon"


@pytest.fixture
def private_feed(settings):
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    routes = {"/private.ics": ("auth", "ana", SECRET, ("ics", ics(0, 3))),
              "/hop": ("redirect", "/private.ics")}
    with calendar_server(routes) as (base, hits):
        yield base, hits, routes


@pytest.mark.django_db
def test_import_with_basic_auth(candidate_client, private_feed):
    base, hits, _ = private_feed
    r = candidate_client.post("/api/v1/calendars/import/", {"url": f"{base}/private.ics"}, format="json")
    assert "asks for a user name and password" in assert_error(r, 400, "validation_error")["fields"]["url"][0]
    r = candidate_client.post("/api/v1/calendars/import/",
                              {"url": f"{base}/private.ics", "username": "ana", "password": "wrong"}, format="json")
    assert "did not accept the user name and password" in assert_error(r, 400, "validation_error")["fields"]["url"][0]
    r = candidate_client.post("/api/v1/calendars/import/",
                              {"url": f"{base}/hop", "username": "ana", "password": SECRET}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["periods"] == 2 and "password" not in r.json() and SECRET not in r.content.decode()
    source = CalendarSource.objects.get(pk=r.json()["id"])
    assert source.password_encrypted == ""  # a one-off import keeps no password


@pytest.mark.django_db
def test_subscription_with_basic_auth_keeps_the_password_encrypted_and_never_shows_it(
        candidate_client, candidate, private_feed, django_capture_on_commit_callbacks):
    base, hits, routes = private_feed
    with django_capture_on_commit_callbacks(execute=True):
        r = candidate_client.post("/api/v1/calendars/subscriptions/",
                                  {"url": f"{base}/private.ics", "username": "ana", "password": SECRET}, format="json")
    assert r.status_code == 201, r.content
    body = candidate_client.get(f"/api/v1/calendars/subscriptions/{r.json()['id']}/").json()
    assert body["periods"] == 2 and body["username"] == "ana" and body["has_password"] is True
    assert "password" not in body and SECRET not in str(body) and body["last_error"] == ""
    source = CalendarSource.objects.get(pk=r.json()["id"])
    assert SECRET not in source.password_encrypted and decrypt(source.password_encrypted) == SECRET
    assert hits[-1][1]["Authorization"].startswith("Basic ")
    # the password changes upstream: the error is kept in plain words
    routes["/private.ics"] = ("auth", "ana", "rotated", ("ics", ics(1)))
    assert subscription_sync(source_id=source.pk) == "failed"
    source.refresh_from_db()
    assert source.last_error == "The calendar server did not accept the user name and password."


def test_credentials_are_not_sent_to_another_origin():
    """The first server (one port) redirects to the second (another port: another origin); only the first
    gets the Authorization header."""
    policy = Policy(max_bytes=100_000, timeout=5, allowed_networks=("127.0.0.1/32",))
    with calendar_server({"/cal.ics": ("ics", ics(0))}) as (target, target_hits):
        first = _second_server({"/start": ("redirect", f"{target}/cal.ics")})
        try:
            fetched = fetch(f"{first.url}/start", policy, credentials=Credentials("ana", "pw"))
        finally:
            first.stop()
    assert fetched.content == ics(0)
    assert first.hits[0][1].get("Authorization", "").startswith("Basic ")
    assert target_hits and "Authorization" not in target_hits[-1][1]


class _second_server:
    """A second loopback server with its own routes (calendar_server's handler keeps one route table)."""

    def __init__(self, routes):
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                hits.append((self.path, dict(self.headers)))
                self.send_response(302)
                self.send_header("Location", routes[self.path][1])
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"url": "https://example.com/a.ics", "password": "p"}, "username"),
    ({"url": "https://example.com/a.ics", "username": "a:b", "password": "p"}, "username"),
    ({"url": "https://example.com/a.ics", "username": "a\nb"}, "username"),
    ({"url": "https://user:pw@example.com/a.ics"}, "url"),
])
def test_bad_credentials_input_is_400(candidate_client, body, field):
    for path in ("/api/v1/calendars/import/", "/api/v1/calendars/subscriptions/"):
        r = candidate_client.post(path, body, format="json")
        assert field in assert_error(r, 400, "validation_error")["fields"], (path, r.json())
