"""Logs are one JSON object per line with the request's fields; X-Request-ID is echoed or made."""

import io
import json
import logging

import pytest
from django.test import Client

from core.observability import MAX_MESSAGE_CHARS, JsonFormatter, LongMessageFilter, RequestContextFilter, request_id_from
from core.tokens import token_issue


@pytest.fixture
def log_lines():
    """The JSON lines the configured handler would write, captured from the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(LongMessageFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.mark.django_db
def test_request_line_has_every_field(log_lines, candidate):
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=candidate)}")
    response = client.get("/api/v1/me", HTTP_X_REQUEST_ID="proxy-id-1234")
    assert response["X-Request-ID"] == "proxy-id-1234"
    (line,) = [entry for entry in log_lines() if entry["logger"] == "interviews.request"]
    assert line["request_id"] == "proxy-id-1234"
    assert line["user_id"] == candidate.pk
    assert (line["method"], line["path"], line["status"], line["view"]) == ("GET", "/api/v1/me", 200, "me")
    assert line["level"] == "INFO" and line["message"] == "GET /api/v1/me 200"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_every_log_line_inside_a_request_carries_its_id(log_lines, hr_client):
    # a 404 through the API logs Django's own warning as well: both carry the id
    response = Client().get("/api/v1/nothing-here", HTTP_X_REQUEST_ID="abcdefgh-1")
    assert response.status_code == 404
    lines = log_lines()
    assert lines and all(entry["request_id"] == "abcdefgh-1" for entry in lines), lines


def test_a_long_message_is_cut_before_it_reaches_the_log(log_lines):
    # the configured handler has the filter (the fixture's stands in for it, to read what it writes)
    assert any(isinstance(f, LongMessageFilter) for h in logging.getLogger().handlers for f in h.filters)
    answer = "<d:multistatus>" + "x" * 4_000_000  # what the caldav library logs of an answer it could not parse
    logging.getLogger("caldav").critical("Expected some valid XML from the server, but got this: \n%s", answer)
    (line,) = log_lines()
    assert line["message"].startswith("Expected some valid XML from the server, but got this: \n<d:multistatus>xxx")
    left_out = len("Expected some valid XML from the server, but got this: \n") + len(answer) - MAX_MESSAGE_CHARS
    assert line["message"].endswith(f"x... ({left_out} more characters)")
    assert len(line["message"]) < MAX_MESSAGE_CHARS + 40
    logging.getLogger("caldav").warning("short %s", "as it was")
    assert log_lines()[-1]["message"] == "short as it was"


@pytest.mark.parametrize("incoming", [None, "", "short", "x" * 129, "bad id with spaces", "evil\ninjected",
                                      "ünïcödé-12345"])
def test_an_insane_request_id_is_replaced(incoming):
    made = request_id_from(incoming)
    assert made != incoming and len(made) == 32 and made.isalnum()


def test_a_sane_request_id_is_kept():
    for value in ("a1b2c3d4", "req:2026/11/29-abc", "0f" * 64):
        assert request_id_from(value) == value


@pytest.mark.django_db
def test_the_id_is_made_when_absent_and_differs_per_request():
    first, second = Client().get("/healthz"), Client().get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_formatter_writes_one_json_line_with_traceback_and_extras():
    logger = logging.getLogger("tests.ops.json")
    record = logger.makeRecord("tests.ops.json", logging.ERROR, __file__, 1, "boom %s", ("now",), None,
                               extra={"delivery_id": 7})
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RequestContextFilter().filter(record)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "boom now" and line["level"] == "ERROR" and line["logger"] == "tests.ops.json"
    assert line["delivery_id"] == 7 and "ValueError: bad" in line["exception"]
    assert line["request_id"] is None
