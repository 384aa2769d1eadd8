"""The one error shape of the API, made here and nowhere else.

``{"error": {"code": "...", "message": "...", "fields": {...}}}``; ``fields`` only for validation errors.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core import metrics

logger = logging.getLogger(__name__)


NOT_AUTHENTICATED = ("No credentials were sent: send the header 'Authorization: Token <key>' (the word Token, "
                     "a space, then the key that POST /api/v1/auth/token answers).")


class InvalidCredentials(exceptions.APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "The email or password is not correct."
    default_code = "invalid_credentials"


class SlotUnavailable(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The time is not free for every participant."
    default_code = "slot_unavailable"

    def __init__(self, detail=None, *, unavailable: list[int] | None = None):
        super().__init__(detail)
        self.unavailable = unavailable or []


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "This feature is not configured."
    default_code = "unavailable"


_CODES = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "validation_error"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
]


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": [messages]}``, nested keys joined with dots."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict) and prefix and detail and all(isinstance(k, int) for k in detail):
        for index, value in detail.items():
            if isinstance(value, dict):  # an item of a list of objects: its fields keep the item's index
                for k, v in _flatten(value, f"{prefix}.{index}").items():
                    out.setdefault(k, []).extend(v)
                continue
            for v in _flatten(value, prefix).values():  # a list field's items: their messages belong to the field
                out.setdefault(prefix, []).extend(v)
    elif isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if prefix and key == "non_field_errors":  # a nested object's own errors belong to its field
                name = prefix
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if any(isinstance(item, (dict, list)) for item in detail):
            for index, item in enumerate(detail):
                if item:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for k, v in _flatten(item, name).items():
                        out.setdefault(k, []).extend(v)
        else:
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _validation_message(fields: dict[str, list[str]]) -> str:
    if len(fields) == 1:
        (name, messages), = fields.items()
        text = messages[0] if messages else "Not valid."
        return text if name == "non_field_errors" else f"{name}: {text}"
    return "Some fields are not valid: " + ", ".join(sorted(fields)) + "."


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent):  # a query string or form, not only a body: say which limit
        exc = PayloadTooLarge(f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters "
                              "(query string or form fields).")
    if not isinstance(exc, exceptions.APIException):
        return None  # an unexpected error: Django's 500 handler answers in the same shape
    request = context.get("request")
    if request is not None:
        # an error is JSON whatever was negotiated (?format=ics, Accept: text/calendar): the one error shape
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    if isinstance(exc, exceptions.NotAuthenticated):
        exc = exceptions.NotAuthenticated(NOT_AUTHENTICATED)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    code = getattr(exc, "default_code", None) or "error"
    for klass, mapped in _CODES:
        if isinstance(exc, klass):
            code = mapped
            break
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = error_body(code, _validation_message(fields), fields)
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (list, dict)) else "The request failed."
        extra = {}
        if isinstance(exc, SlotUnavailable):
            metrics.booking_conflicts_total.inc()
            if exc.unavailable:
                extra["unavailable"] = exc.unavailable
            if getattr(exc, "session", None) is not None:
                extra["session"] = exc.session
        body = error_body(code, message, **extra)
    return Response(body, status=exc.status_code, headers=headers)


def json_error(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def handler400(request, exception=None):
    return json_error("validation_error", "The request could not be understood.", 400)


def handler403(request, exception=None):
    return json_error("permission_denied", "You may not do this.", 403)


def handler404(request, exception=None):
    return json_error("not_found", "There is nothing at this address.", 404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the admin (the one user of sessions) keeps Django's page; anywhere else a refused
    request answers in the one error shape. API routes are CSRF-exempt (token auth, no cookies), so this
    is a safety net for a plain Django view that forgets to be."""
    if request.path.startswith("/admin/"):
        from django.views.csrf import csrf_failure as django_csrf_failure

        return django_csrf_failure(request, reason=reason)
    return json_error("permission_denied", "The request was refused (CSRF); API calls authenticate with the "
                      "Authorization header, not cookies.", 403)


def handler500(request):
    return json_error("server_error", "Something went wrong on our side; it has been logged.", 500)
