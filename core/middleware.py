import logging

from django.db import InterfaceError, OperationalError
from django.urls import Resolver404, resolve

from core.cache_backends import CACHE_DOWN
from core.errors import handler500, json_error

logger = logging.getLogger("django.request")


class CsrfOnlyInTheAdminMiddleware:
    """CSRF protects what a cookie authenticates: only the admin here. The API authenticates with the
    ``Authorization`` header and the public pages and feeds by a token in the URL, so a POST to any of them (or
    to a path that matches nothing) is answered by its view in the one error shape, never by Django's HTML
    "CSRF verification failed" page. Sits before ``CsrfViewMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/admin/"):
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)


class TrailingSlashMiddleware:
    """``/api/v1/slots`` and ``/api/v1/slots/`` are the same endpoint: a path that matches no route is tried
    with its trailing slash added or removed (no redirect, so POST bodies survive)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and not _matches(path):
            other = path[:-1] if path.endswith("/") else path + "/"
            if _matches(other):
                request.path_info = other
        return self.get_response(request)


def _matches(path: str) -> bool:
    try:
        return resolve(path).url_name != "not-found"
    except Resolver404:
        return False


class ApiErrorMiddleware:
    """An unexpected error under the API answers in the one error shape, with DEBUG on as well
    (Django's debug page would answer in HTML). It is logged with its traceback.

    A database that cannot be reached (connection refused, gone away, locked) or a shared cache that is down
    where nothing could fall back is not a bug: 503 ``unavailable`` with ``Retry-After``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith(("/api/", "/feeds/")):
            return None
        down = _unavailable(exception)
        if down:
            logger.error("%s unavailable on %s %s: %s", down, request.method, request.path, exception)
            response = json_error("unavailable", f"The {down} is unavailable; try again shortly.", 503)
            response["Retry-After"] = "5"
            return response
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return handler500(request)


def _unavailable(exception: Exception) -> str | None:
    if isinstance(exception, (OperationalError, InterfaceError)):
        return "database"
    if isinstance(exception, CACHE_DOWN):
        return "cache"
    return None
