"""Startup checks: configuration that would only fail later, at the first request or task, fails now."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def encryption_keys(app_configs, **kwargs):
    from integrations.google.crypto import check_keys

    try:
        check_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="ops.E001")]
    return []


@checks.register(checks.Tags.caches)
def shared_cache(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.DEBUG and backend.endswith("LocMemCache"):
        return [
            checks.Error(
                "The cache is per process with DJANGO_DEBUG off: logouts, login limits and OAuth state would not "
                "hold across processes. Set REDIS_URL (or leave the database cache on).",
                id="ops.E002",
            )
        ]
    return []
