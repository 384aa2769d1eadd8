"""Email addresses in one normal form; failed logins limited atomically, per address and per client IP."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient

from core.emails import normalize_email
from core.errors import InvalidCredentials
from core.models import User
from core.services import user_login
from tests.conftest import PASSWORD, assert_error
from tests.factories import CandidateFactory

pytestmark = pytest.mark.usefixtures("one_counter_window")  # the failure counts never straddle a window's end

LONG_S = "\u017f"  # LATIN SMALL LETTER LONG S: NFKC makes it "s"


@pytest.mark.parametrize("raw, normal", [
    ("Ann@Example.TEST", "ann@example.test"),
    (f"ann@example.te{LONG_S}t", "ann@example.test"),
    ("\uff21\uff2e\uff2e@example.test", "ann@example.test"),  # fullwidth ANN
    ("  ann@example.test ", "ann@example.test"),
    ("STRASSE@example.test", "strasse@example.test"),
    ("stra\u00dfe@example.test", "strasse@example.test"),  # ß casefolds to ss; lower() keeps it
    ("\u212bngstr\u00f6m@example.test", "\u00e5ngstr\u00f6m@example.test"),  # ANGSTROM SIGN
    ("o\u0308@example.test", "\u00f6@example.test"),  # combining diaeresis composes
])
def test_normalize_email(raw, normal):
    assert normalize_email(raw) == normal
    assert normalize_email(normal) == normal  # once is enough


def login(client, email, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json", **extra)


def register(client, email):
    return client.post("/api/v1/auth/register", {"email": email, "password": "a sturdy passphrase",
                                                 "role": "candidate"}, format="json")


@pytest.mark.django_db
def test_register_stores_the_normal_form_and_refuses_its_other_spellings(anon_client):
    r = register(anon_client, "Ann@Example.TEST")
    assert r.status_code == 201 and r.json()["email"] == "ann@example.test"
    assert User.objects.get().email == "ann@example.test"
    for other in (f"ann@example.te{LONG_S}t", "\uff21NN@example.test", "ANN@EXAMPLE.TEST"):
        assert "email" in assert_error(register(anon_client, other), 400, "validation_error")["fields"]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_register_refuses_an_address_that_normalises_into_nonsense(anon_client):
    # valid as typed (unicode domain), but U+2100 ACCOUNT OF becomes "a/c": not an address any more
    assert "email" in assert_error(register(anon_client, "x@example.com\u2100"), 400, "validation_error")["fields"]
    # U+FB03 is "ffi": normalising makes it longer than an address may be
    assert "email" in assert_error(register(anon_client, "a@" + "\ufb03" * 80 + ".com"), 400,
                                   "validation_error")["fields"]


@pytest.mark.django_db
def test_every_spelling_logs_in_to_the_one_account(anon_client):
    ann = CandidateFactory(email="ann@example.test")
    for spelling in ("ANN@example.test", f"ann@example.te{LONG_S}t", "\uff41nn@example.test"):
        r = login(anon_client, spelling)
        assert r.status_code == 200 and r.json()["user"]["id"] == ann.pk


@pytest.mark.django_db
def test_another_spelling_does_not_bypass_the_lock(anon_client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    CandidateFactory(email="ann@example.test")
    for _ in range(3):
        assert_error(login(anon_client, "ann@example.test", "wrong"), 401, "invalid_credentials")
    for spelling in (f"ann@example.te{LONG_S}t", "ANN@EXAMPLE.TEST", "\uff41nn@example.test"):
        r = login(anon_client, spelling)  # the right password, but the address is locked
        assert_error(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW_SECONDS


@pytest.mark.django_db
def test_the_address_lock_holds_from_every_client_ip(anon_client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    CandidateFactory(email="ann@example.test")
    for n in range(2):
        login(anon_client, "ann@example.test", "wrong", REMOTE_ADDR=f"10.0.0.{n}")
    assert_error(login(anon_client, "ann@example.test", REMOTE_ADDR="10.0.0.99"), 429, "rate_limited")


@pytest.mark.django_db
def test_a_success_clears_the_count(anon_client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    CandidateFactory(email="ann@example.test")
    for _ in range(2):
        login(anon_client, "ann@example.test", "wrong")
    assert login(anon_client, "ann@example.test").status_code == 200
    for _ in range(2):
        assert_error(login(anon_client, "ann@example.test", "wrong"), 401, "invalid_credentials")
    assert login(anon_client, "ann@example.test").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_simultaneous_wrong_passwords_get_at_most_the_limit(settings, monkeypatch):
    settings.LOGIN_FAILURE_LIMIT = 10
    CandidateFactory(email="ann@example.test")
    checked = []
    start = threading.Barrier(40)
    real_authenticate = user_login.__globals__["authenticate"]

    def slow_authenticate(**credentials):  # the real check, made slow so that all 40 overlap
        checked.append(1)
        time.sleep(0.2)
        return real_authenticate(**credentials)

    monkeypatch.setattr("core.services.authenticate", slow_authenticate)

    def attempt(n):
        start.wait()
        try:
            user_login(email="ann@example.test", password=f"guess {n}", client_ip="10.1.1.1")
        except (InvalidCredentials, Throttled) as exc:
            return type(exc)
        return None

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert len(checked) == 10
    assert outcomes.count(InvalidCredentials) == 10 and outcomes.count(Throttled) == 30


@pytest.mark.django_db
def test_one_client_spraying_many_addresses_is_blocked(anon_client, settings):
    settings.LOGIN_FAILURE_IP_LIMIT = 20
    victim = CandidateFactory(email="victim@example.test")
    outcomes = []
    for n in range(30):
        for _ in range(2):  # each address twice: counted once for the client
            outcomes.append(login(anon_client, f"user{n}@example.test", "Winter2026!").status_code)
    assert outcomes[:39] == [401] * 39  # 20 addresses failed (the 20th once) ...
    assert outcomes[39:] == [429] * 21  # ... and then nothing more is checked from there
    # blocked for every account, even with the right password; another client is not
    assert_error(login(anon_client, victim.email), 429, "rate_limited")
    assert login(APIClient(REMOTE_ADDR="10.9.9.9"), victim.email).status_code == 200


@pytest.mark.django_db
def test_a_user_mistyping_does_not_use_up_the_clients_allowance(anon_client, settings):
    settings.LOGIN_FAILURE_IP_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT = 100
    CandidateFactory(email="ann@example.test")
    for _ in range(10):
        assert_error(login(anon_client, "ann@example.test", "wrong"), 401, "invalid_credentials")
    assert login(anon_client, "ann@example.test").status_code == 200


@pytest.mark.django_db
def test_the_migration_normalises_stored_addresses_and_keeps_the_older_of_a_clash():
    forwards = __import__("core.migrations.0004_normalise_emails", fromlist=["forwards"]).forwards
    first, second, third, fourth = (CandidateFactory() for _ in range(4))
    # addresses stored before normalisation (written around the model, as the old code could)
    User.objects.filter(pk=first.pk).update(email="Ann@Example.TEST")
    User.objects.filter(pk=second.pk).update(email=f"bob@example.te{LONG_S}t")
    User.objects.filter(pk=third.pk).update(email=f"ann@example.te{LONG_S}t")  # the same person as first
    User.objects.filter(pk=fourth.pk).update(email="carol@example.test")
    forwards(apps, None)
    emails = dict(User.objects.values_list("pk", "email"))
    assert emails[first.pk] == "ann@example.test"
    assert emails[second.pk] == "bob@example.test"
    assert emails[third.pk] == f"ann@example.te{LONG_S}t"  # left for an operator; it cannot take the address
    assert emails[fourth.pk] == "carol@example.test"
    assert User.objects.get_by_natural_key(f"ANN@example.te{LONG_S}t").pk == first.pk
