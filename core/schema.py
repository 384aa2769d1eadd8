"""OpenAPI (drf-spectacular): how our token authentication is described, and what every operation documents
without a word in its view: the 4xx answers it can give (all in the one error shape, the ``Error`` component)
and the ``Idempotency-Key`` header on every creating POST (views whose method is ``@idempotent``).

The rules are generic, read from the operation and its view:

- 400 ``validation_error``: the operation reads a body, query parameters or an ``Idempotency-Key``.
- 401 ``not_authenticated``: always (a missing, malformed or revoked ``Authorization`` header; a public
  operation answers 401 too when a bad token is sent).
- 403 ``permission_denied``: the view has a permission beyond "authenticated" (HR only, for example) or
  checks the caller's role or ownership itself (``schema_forbidden = True`` on the view).
- 404 ``not_found``: the path names an object, or the body or query names users or other objects by id.
- 409 ``conflict``: ``Idempotency-Key`` reused with another body, or still in progress; plus
  ``slot_unavailable`` where the view says so (``schema_conflict``).
- 413 ``payload_too_large``: uploads (multipart bodies).
- 415 ``unsupported_media_type``: the operation reads a body.
- 429 ``rate_limited``: the view is throttled (``Retry-After`` tells when to come back).

- 404 also on paginated listings (a page past the end).

A view method may add statuses it gives for its own reasons with ``@documents_errors({403: "why"})`` (a
description starting with a backquoted code replaces the usual code: ``"`invalid_credentials`: ..."``).
"""

from types import SimpleNamespace

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny, IsAuthenticated

TOKEN_HELP = (
    "Paste the word Token, a space, then your key: for example `Token 0123abcd4567ef89...` "
    "(the key is the `token` that POST /api/v1/auth/token answers). A bare key is refused with a 401."
)

ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error shape of every 4xx and 5xx answer.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable: validation_error, not_authenticated, invalid_credentials, "
                                   "permission_denied, not_found, method_not_allowed, conflict, slot_unavailable, "
                                   "payload_too_large, unsupported_media_type, not_acceptable, rate_limited, "
                                   "unavailable, server_error.",
                },
                "message": {"type": "string", "description": "For people: what went wrong."},
                "fields": {
                    "type": "object",
                    "description": "validation_error only: each field (dotted for nested ones) and its messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "unavailable": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "slot_unavailable only: the ids of the participants who are not free.",
                },
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Any unique string (a UUID, say) to make a retry safe: the same key within 24 hours answers "
                   "the first answer again (with `Idempotent-Replayed: true`) instead of creating twice; the same "
                   "key with a different body is a 409 `conflict`.",
}

_MESSAGES = {
    400: "`validation_error`: the input is not valid; `fields` names each field and what is wrong with it.",
    401: "`not_authenticated`: send `Authorization: Token 0123abcd...`; the token is missing, malformed, "
         "expired or revoked.",
    403: "`permission_denied`: the caller's role may not do this.",
    404: "`not_found`: there is no such object, or the caller may not see it.",
    409: "`conflict`: the `Idempotency-Key` was used for a different request, or that request is still running.",
    413: "`payload_too_large`: the upload is too large.",
    415: "`unsupported_media_type`: send the body as `application/json` (or as the operation says).",
    429: "`rate_limited`: too many requests; `Retry-After` says how many seconds to wait.",
}

_MESSAGES[503] = "`unavailable`: the feature is not configured on this server."

_ID_HINTS = ("user", "candidate", "interviewer", "interviewers", "subscription", "calendar")


def documents_errors(statuses: dict[int, str]):
    """Marks a view method with error statuses it answers for reasons the generic rules cannot see (a role
    checked in the method, a missing connection); each value describes when, after the error code."""

    def mark(view_method):
        view_method.schema_errors = {**getattr(view_method, "schema_errors", {}), **statuses}
        return view_method

    return mark


def is_idempotent(view, method: str) -> bool:
    handler = getattr(view, method.lower(), None)
    return bool(getattr(handler, "idempotent", False))


def _is_throttled(view, request) -> bool:
    for throttle in view.get_throttles():
        scope = throttle.get_scope(request, view) if hasattr(throttle, "get_scope") else getattr(throttle, "scope", None)
        if scope:
            return True
    return False


class AutoSchema(SpectacularAutoSchema):
    """DRF's ``DEFAULT_SCHEMA_CLASS``: drf-spectacular's, plus the error answers and the idempotency header."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        idempotent = is_idempotent(self.view, self.method)
        if idempotent:
            operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
        registry.register_on_missing(
            ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        )
        responses = operation.setdefault("responses", {})
        for status, description in sorted(self._error_statuses(operation, idempotent).items()):
            responses.setdefault(str(status), {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            })
        return operation

    def _error_statuses(self, operation: dict, idempotent: bool) -> dict[int, str]:
        view = self.view
        parameters = operation.get("parameters", [])
        body = operation.get("requestBody")
        query = [p for p in parameters if p.get("in") == "query"]
        statuses: dict[int, str] = {401: _MESSAGES[401]} if view.get_authenticators() else {}
        if body or query or idempotent:
            statuses[400] = _MESSAGES[400]
        permissions = [type(p) for p in view.get_permissions()]
        if any(p not in (AllowAny, IsAuthenticated) for p in permissions) or getattr(view, "schema_forbidden", False):
            statuses[403] = _MESSAGES[403]
        names = {p["name"] for p in parameters} | set(self._body_properties(body))
        if any(p.get("in") == "path" for p in parameters) or names & {*_ID_HINTS, "page", "cursor"}:
            statuses[404] = _MESSAGES[404]
        if idempotent:
            statuses[409] = _MESSAGES[409]
        if body:
            statuses[415] = _MESSAGES[415]
            if "multipart/form-data" in body.get("content", {}):
                statuses[413] = _MESSAGES[413]
        if _is_throttled(view, SimpleNamespace(method=self.method, path=self.path)):
            statuses[429] = _MESSAGES[429]
        handler = getattr(view, self.method.lower(), None)
        for status, when in getattr(handler, "schema_errors", {}).items():
            code = _MESSAGES.get(status, "").split(":", 1)[0] or "`error`"
            statuses[status] = when if when.startswith("`") else f"{code}: {when}"
        return statuses

    def _body_properties(self, body) -> list[str]:
        """The top-level property names of the JSON body (resolving the component it refers to)."""
        if not body:
            return []
        names = []
        for media in body.get("content", {}).values():
            schema = media.get("schema", {})
            if schema.get("type") == "array":
                schema = schema.get("items", {})
            ref = schema.get("$ref", "")
            if ref:
                key = (ref.rsplit("/", 1)[-1], ResolvedComponent.SCHEMA)
                try:
                    schema = self.registry[key].schema or {}
                except KeyError:
                    schema = {}
            names.extend(schema.get("properties", {}))
        return names


class CachedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.CachedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": TOKEN_HELP,
        }
