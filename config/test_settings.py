"""Settings for the test suite: the real settings, with a test key, fast hashing and tasks run inline."""

import os
import uuid

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "x" * 40)

from config.settings import *  # noqa: E402,F403
from config.settings import CACHES, Q_CLUSTER, REDIS_URL, STATIC_ROOT, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# Each run gets its own key space on a shared Redis. Without Redis the tests use a memory cache (one process;
# the database cache that production uses then is tested in tests/ops).
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}}
if "OPTIONS" in CACHES["default"]:  # a loaded CI machine is slow, not down (tests of an outage set their own)
    CACHES["default"]["OPTIONS"] = {**CACHES["default"]["OPTIONS"], "socket_timeout": 3, "socket_connect_timeout": 3}
# Collected static files are not needed by the tests (whitenoise's manifest storage would want them).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True  # and whitenoise serves the apps' static files from where they are (the /book/ page)
DEFAULT_FROM_EMAIL = "interviews@example.com"
PUBLIC_BASE_URL = "http://testserver"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing directory
