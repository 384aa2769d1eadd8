"""Every endpoint answers malformed input with a 4xx in the one error shape: no input makes a 500."""

import pytest
from django.urls import get_resolver

from tests import dates
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

JUNK_BODIES = [
    "{not json",
    "[]",
    "[1, 2, 3]",
    '"a string"',
    "null",
    "12",
    '{"start": {"nested": [1, {"deep": null}]}, "end": [], "user": "x", "candidate": [], "interviewers": {}}',
    '{"start": "%d-13-45T99:99:99Z", "end": "9999-12-31T23:59:59+14:00", "duration": 1e309}' % dates.today().year,
    '{"start": "%sT10:00:00", "end": "%sT11:00:00", "user": 99999999999999999999999}' % ((dates.monday(2),) * 2),
    '{"weekdays": "0123", "start_time": 900, "end_time": null, "timezone": 5}',
    '{"url": "javascript:alert(1)", "kind": []}',
    '{"calendars": [1, 2], "busy_calendar": {}}',
    '{"email": "' + "a" * 5000 + '@x.com", "password": null, "role": ["candidate"]}',
    '{"\\u0000": "\\u0000", "start": "\\u0000"}',
]
JUNK_QUERIES = [
    "?start=x&end=y&user=z&tz=%00&duration=-1&step=1e99&candidate=--&interviewer=1,abc&status=%ff&page=-3",
    "?user=99999999999999999999999&start=0001-01-01T00:00:00Z&end=9999-12-31T23:59:59Z&page=abc",
    # a wall time inside the next New York DST gap
    f"?candidate=1&interviewer=2&tz=../../etc/passwd&start={dates.next_dst_change('America/New_York', True)}T02:30:00",
]


def concrete_paths() -> list[str]:
    paths = set()
    for pattern in get_resolver().url_patterns:
        prefix = str(pattern.pattern)
        children = getattr(pattern, "url_patterns", [pattern])
        for child in children:
            grandchildren = getattr(child, "url_patterns", [child])
            for leaf in grandchildren:
                route = prefix + (str(child.pattern) if child is not pattern else "")
                route += str(leaf.pattern) if leaf is not child else ""
                if route.startswith(("admin", "api/v1/schema", "api/v1/docs")):
                    continue
                paths.add("/" + route.replace("<int:pk>", "1").replace("<str:token>", "x" * 64))
    return sorted(paths)


HTML_PAGES = ("/book/",)  # pages for people answer their errors in HTML


@pytest.fixture
def clients(hr, candidate, interviewer, settings):
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "id", "secret"  # so its endpoints read their input
    settings.GOOGLE_TOKEN_URI = settings.GOOGLE_API_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there
    return {"hr": client_for(hr), "candidate": client_for(candidate), "interviewer": client_for(interviewer),
            "anonymous": client_for(None)}


def check(response, path: str = ""):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400 and path.startswith(HTML_PAGES) and response["Content-Type"].startswith("text/html"):
        assert b"<h1>" in response.content  # a page for people (the scheduling page): HTML, but still a 4xx
    elif response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


def test_paths_were_found():
    paths = concrete_paths()
    assert "/api/v1/interviews/" in paths and "/api/v1/slots/" in paths and len(paths) > 30


@pytest.mark.parametrize("who", ["hr", "candidate", "interviewer", "anonymous"])
def test_junk_never_makes_a_500(clients, who):
    client = clients[who]
    for path in concrete_paths():
        for query in JUNK_QUERIES:
            check(client.get(path + query), path)
        for body in JUNK_BODIES:
            for method in (client.post, client.patch, client.put):
                check(method(path, body, content_type="application/json"))
        check(client.post(path, "a=1&b=2", content_type="application/x-www-form-urlencoded"))
        check(client.post(path, b"\xff\xfe\x00garbage", content_type="multipart/form-data; boundary=zz"))
        check(client.delete(path))


# Nesting past the interpreter's recursion limit (the standard library's JSON decoder recurses once per level),
# and just below it, where the parse succeeds or fails depending on how deep the call stack already is.
DEEP_BODIES = [opening * depth + inner + closing * depth
               for depth in (100_000, 990, 960, 930, 900)
               for opening, inner, closing in (("[", "", "]"), ('{"start": ', "1", "}"))]


@pytest.mark.parametrize("who", ["hr", "anonymous"])
def test_deeply_nested_json_is_a_400_not_a_500(clients, who):
    client = clients[who]
    if who == "hr":
        answer = client.post("/api/v1/availability/", DEEP_BODIES[0], content_type="application/json")
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "validation_error"
        assert "nested too deeply" in answer.json()["error"]["message"]
    for path in concrete_paths():  # (POST /auth/logout among them: the token goes last)
        for body in DEEP_BODIES:
            for method in (client.post, client.patch, client.put):
                check(method(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep"), path)
