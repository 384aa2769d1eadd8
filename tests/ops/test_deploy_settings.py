"""Production settings from the environment: check --deploy, the proxy in front, the shared cache."""

import json
import subprocess
import sys
from pathlib import Path

import certifi
import pytest
from django.test import Client, override_settings

from core.tokens import token_issue
from tests.ops.procs import ROOT, production_env

SECURE_ENV = {
    "DJANGO_SECURE": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_ALLOWED_HOSTS": "hire.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://hire.example.com",
}


def manage(tmp_path, *args, **env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=production_env(tmp_path, **env),
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_django_secure(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **SECURE_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_django_secure(tmp_path):
    # the same check can fail: without DJANGO_SECURE it names HSTS, the SSL redirect and the cookies
    env = {k: v for k, v in SECURE_ENV.items() if k != "DJANGO_SECURE"}
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_a_csrf_trusted_origin_without_scheme_is_refused(tmp_path):
    result = manage(tmp_path, "check", DJANGO_CSRF_TRUSTED_ORIGINS="hire.example.com")
    assert result.returncode != 0
    assert "DJANGO_CSRF_TRUSTED_ORIGINS" in result.stderr


def settings_of(tmp_path, expression: str, **env):
    code = f"import django, json; django.setup(); from django.conf import settings; print(json.dumps({expression}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(tmp_path, **env),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_redis_production_shares_the_database_cache(tmp_path):
    assert settings_of(tmp_path, 'settings.CACHES["default"]["BACKEND"]') == (
        "django.core.cache.backends.db.DatabaseCache"
    )
    assert "Redis" in settings_of(tmp_path, 'settings.CACHES["default"]["BACKEND"]', REDIS_URL="redis://127.0.0.1:6379/9")
    # and so does the development setup (bin/run, DEBUG on), whose worker is a process of its own
    assert settings_of(tmp_path, 'settings.CACHES["default"]["BACKEND"]', DJANGO_DEBUG="1").endswith("DatabaseCache")


def test_caldav_servers_are_checked_against_the_bundle_the_operator_names(tmp_path):
    assert settings_of(tmp_path, "settings.CALDAV_CA_BUNDLE") == certifi.where()
    bundle = tmp_path / "with-our-ca.pem"
    bundle.write_text(Path(certifi.where()).read_text())
    assert settings_of(tmp_path, "settings.CALDAV_CA_BUNDLE", CALDAV_CA_BUNDLE=str(bundle)) == str(bundle)
    result = manage(tmp_path, "check", CALDAV_CA_BUNDLE=str(tmp_path / "missing.pem"))
    assert result.returncode != 0
    assert "CALDAV_CA_BUNDLE names no file" in result.stderr


def test_a_per_process_cache_with_debug_off_is_refused_at_startup(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings; from django.core import checks;"
            "settings.CACHES['default']['BACKEND'] = 'django.core.cache.backends.locmem.LocMemCache';"
            "print([e.id for e in checks.run_checks()])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert "ops.E002" in result.stdout, result.stderr


@pytest.mark.django_db
def test_migrate_creates_the_database_cache_table_and_it_works():
    from django.core.cache.backends.db import DatabaseCache
    from django.db import connection

    assert "core_cache" in connection.introspection.table_names()
    cache = DatabaseCache("core_cache", {})
    cache.set("revoked", "yes", 60)
    # a second cache object (another process would have its own) reads what the first wrote
    assert DatabaseCache("core_cache", {}).get("revoked") == "yes"


@pytest.mark.django_db
def test_feed_url_is_https_behind_the_proxy(candidate):
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=candidate)}")
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        behind = client.get("/api/v1/me", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver").json()
    assert behind["feed_url"].startswith("https://testserver/")
    assert client.get("/api/v1/me").json()["feed_url"].startswith("http://testserver/")


@pytest.mark.django_db
def test_admin_login_behind_an_https_proxy(hr):
    hr.set_password("correct horse battery")
    hr.save()

    def login(**settings):
        client = Client(enforce_csrf_checks=True)
        https = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "hire.example.com"}
        with override_settings(ALLOWED_HOSTS=["hire.example.com"], **settings):
            page = client.get("/admin/login/", **https)
            token = page.cookies["csrftoken"].value
            return client.post(
                "/admin/login/?next=/admin/",
                {"username": hr.email, "password": "correct horse battery", "csrfmiddlewaretoken": token},
                HTTP_ORIGIN="https://hire.example.com", HTTP_REFERER="https://hire.example.com/admin/login/",
                **https,
            )

    # without trusting the proxy, the request looks like http: the https Origin fails the check (the issue's 403)
    assert login().status_code == 403
    trusted = login(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
                    CSRF_TRUSTED_ORIGINS=["https://hire.example.com"])
    assert trusted.status_code == 302 and trusted["Location"] == "/admin/"


def test_the_gunicorn_master_freezes_what_it_loaded_before_forking():
    """What the preloaded master holds is out of the collector's generations, so a worker's full collections
    walk only what its requests made (ops.gunicorn_conf.when_ready)."""
    import gc

    from ops import gunicorn_conf

    tracked = len(gc.get_objects())
    try:
        gunicorn_conf.when_ready(server=None)
        assert gc.get_freeze_count() >= tracked
        assert len(gc.get_objects()) < tracked / 10
    finally:
        gc.unfreeze()
