"""Paginating listings.

``CursorPagination`` is the listings contract of docs/api.md ("Conventions"): the answer is a plain JSON list
of at most ``page_size`` items (default 500, at most 1000); when there are more, ``Link: <url>; rel="next"``
points at the next page. The cursor is the sort key of the last item sent (keyset pagination): a page is one
indexed range query whatever its depth, the order is total (the key ends with the primary key), and rows
added or removed meanwhile never make a page repeat or skip another row. Every other query parameter
(``start``, ``end``, ``user``, ``status``, ``tz``...) is kept in the next page's URL.

``Pagination`` (page numbers, ``{count, next, previous, results}``) stays for ``/users/``, whose shape is older.
"""

import base64
import binascii
import json
from datetime import datetime

from django.db import models
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
QUERY_PARAMS = ("page_size", "cursor")


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        """``page_size`` when given must be a whole number from 1 to ``max_page_size``: anything else (``null``,
        ``0``, ``abc``) is a 400, not silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters


def page_size(request, *, default: int = DEFAULT_PAGE_SIZE, largest: int = MAX_PAGE_SIZE) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5) or not 1 <= int(raw) <= largest:
        raise ValidationError({"page_size": [f"A whole number from 1 to {largest}."]})
    return int(raw)


class CursorPagination:
    """Keyset pagination over ``ordering`` (ascending fields; the last must be unique, e.g. ``id``)."""

    def __init__(self, ordering: tuple[str, ...] = ("start", "id"), *, default_size: int = DEFAULT_PAGE_SIZE,
                 max_size: int = MAX_PAGE_SIZE):
        self.ordering = ordering
        self.default_size = default_size
        self.max_size = max_size
        self.next_url: str | None = None

    def paginate_queryset(self, queryset, request, view=None) -> list:
        size = page_size(request, default=self.default_size, largest=self.max_size)
        raw = request.query_params.get("cursor")
        queryset = queryset.order_by(*self.ordering)
        if raw not in (None, ""):
            queryset = queryset.filter(self._after(self._decode(raw, queryset.model)))
        page = list(queryset[: size + 1])
        self.next_url = None
        if len(page) > size:
            query = request.query_params.copy()
            query["cursor"] = self._encode(page[size - 1])
            self.next_url = f"{request.build_absolute_uri(request.path)}?{query.urlencode()}"
        return page[:size]

    def get_paginated_response(self, data) -> Response:
        response = Response(data)
        if self.next_url:
            response["Link"] = f'<{self.next_url}>; rel="next"'
        return response

    # the cursor: the last item's sort key, as URL-safe base64 of a JSON list
    def _encode(self, item) -> str:
        values = []
        for name in self.ordering:
            value = getattr(item, name)
            values.append(value.isoformat() if isinstance(value, datetime) else value)
        return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")

    def _decode(self, raw: str, model) -> list:
        bad = ValidationError({"cursor": ["Not a cursor this listing gave out; follow the Link header."]})
        if len(raw) > 512:
            raise bad
        try:
            values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise bad from None
        if not isinstance(values, list) or len(values) != len(self.ordering):
            raise bad
        decoded = []
        for name, value in zip(self.ordering, values, strict=True):
            field = model._meta.get_field(name)
            if isinstance(field, models.DateTimeField):
                try:
                    value = datetime.fromisoformat(value) if isinstance(value, str) else None
                except ValueError:
                    value = None
                if value is None or value.tzinfo is None:
                    raise bad
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
                raise bad
            decoded.append(value)
        return decoded

    def _after(self, values: list) -> Q:
        """Rows strictly after ``values`` in the ordering: (a > x) or (a = x and b > y) or ..."""
        condition = Q()
        for index, name in enumerate(self.ordering):
            step = Q(**{f"{name}__gt": values[index]})
            for earlier, value in zip(self.ordering[:index], values[:index], strict=True):
                step &= Q(**{earlier: value})
            condition |= step
        return condition


def paginated(request, queryset, serialize, *, ordering: tuple[str, ...] = ("start", "id")) -> Response:
    """One page of ``queryset`` as a plain list, ``serialize(rows)`` making the items, with its Link header."""
    paginator = CursorPagination(ordering)
    return paginator.get_paginated_response(serialize(paginator.paginate_queryset(queryset, request)))
