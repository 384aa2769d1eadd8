"""Request ids, the JSON log format and the one log line per request (with its metrics).

Every log record carries the request id, user id, method and path of the request it was written in (a
``contextvars`` context: each thread or task has its own). The request line itself adds status and duration.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

from core import metrics

logger = logging.getLogger("interviews.request")

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_context", default=None)

# An incoming X-Request-ID is kept when it is sane (a proxy's or a client's id, so one id follows the call
# through every hop); anything else is replaced, so no header can forge log lines or grow without bound.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{8,128}$")

_CONTEXT_FIELDS = ("request_id", "user_id", "method", "path")


def request_id_from(header: str | None) -> str:
    if header and _SANE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    ctx = _context.get()
    return ctx["request_id"] if ctx else None


class RequestContextFilter(logging.Filter):
    """Puts the current request's fields on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get() or {}
        for name in _CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, ctx.get(name))
        return True


# A log line's message is cut to this many characters: libraries log what servers answered (the caldav library
# logs a whole answer it could not parse as XML, up to the size cap, at CRITICAL), and a server must not be able
# to fill the logs.
MAX_MESSAGE_CHARS = 10_000


class LongMessageFilter(logging.Filter):
    """Cuts a record's message to ``MAX_MESSAGE_CHARS``, saying how much was left out (once: the record is shared
    by every handler it reaches)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_cut", False):
            return True
        message = record.getMessage()
        if len(message) > MAX_MESSAGE_CHARS:
            record.msg = f"{message[:MAX_MESSAGE_CHARS]}... ({len(message) - MAX_MESSAGE_CHARS} more characters)"
            record.args = ()
            record._cut = True
        return True


_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request's fields, any
    ``extra`` the call passed, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _CONTEXT_FIELDS:
            out[name] = getattr(record, name, None)
        for name, value in vars(record).items():
            if name not in _RESERVED and name not in out and not name.startswith("_"):
                out[name] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """First in the chain: sets the request id (echoed in ``X-Request-ID``), times the request, writes one
    log line for it and counts it in the metrics by view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        ctx = {"request_id": request_id, "user_id": None, "method": request.method, "path": request.path[:500]}
        # Left set after the answer (Django's own "django.request" line comes after the middleware); cleared
        # when the answer is closed (request_finished, core.apps).
        _context.set(ctx)
        response = self.get_response(request)
        duration = time.perf_counter() - started
        user_id = _user_id(request)
        ctx["user_id"] = user_id
        response["X-Request-ID"] = request_id
        view = _view_name(request)
        metrics.observe_request(view=view, method=request.method, status=response.status_code, seconds=duration)
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        logger.log(
            level,
            "%s %s %s",
            request.method,
            request.path[:500],
            response.status_code,
            extra={"status": response.status_code, "duration_ms": round(duration * 1000, 2), "view": view},
        )
        return response


def clear_request_context(**kwargs) -> None:
    _context.set(None)


def _user_id(request):
    # DRF sets the authenticated user on the Django request it wraps; the admin sets it through sessions.
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:  # a lazy user whose lookup fails must not break the log line
        return None


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return getattr(request, "metrics_view", "<unmatched>")
    return match.view_name or match._func_path
