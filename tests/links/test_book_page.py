"""``GET /book/<token>``: the page itself, as the server renders it (the browser tests drive it)."""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.test import Client

from links.models import SchedulingLink
from tests.links.helpers import make_link
from tests.scheduling.helpers import free

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(hr_client, candidate, interviewer):
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    return make_link(hr_client, candidate, [interviewer], title="Backend panel", timezone="Asia/Kolkata")


def test_the_page(link, candidate, interviewer):
    r = Client().get(f"/book/{link['token']}")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert "<h1>Backend panel</h1>" in html and "60 minutes with Ivan Interviewer" in html
    assert f'data-api="/api/v1/public/links/{link["token"]}"' in html
    assert 'data-link-zone="Asia/Kolkata"' in html and '<option value="America/New_York">' in html
    assert '<label for="zone">' in html and 'role="alert"' in html and 'name="viewport"' in html
    assert candidate.email not in html and interviewer.email not in html and "@" not in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html  # nothing from outside
    assert r["Referrer-Policy"] == "no-referrer" and r["Cache-Control"] == "no-store"
    assert "default-src 'none'" in r["Content-Security-Policy"] and "script-src 'self'" in r["Content-Security-Policy"]


def test_assets_are_served_by_the_app():
    client = Client()
    css = client.get("/static/links/book.css")
    js = client.get("/static/links/book.js")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert js.status_code == 200 and "javascript" in js["Content-Type"]
    body = b"".join(js.streaming_content) + b"".join(css.streaming_content)
    assert b"http://" not in body and b"https://" not in body
    assert client.get("/static/links/../../settings.py").status_code == 404


def test_unknown_revoked_and_expired(link, hr_client):
    client = Client()
    r = client.get("/book/" + "x" * 43)
    assert r.status_code == 404 and b"find this link" in r.content
    assert r["Referrer-Policy"] == "no-referrer"
    SchedulingLink.objects.filter(pk=link["id"]).update(expires_at=datetime.now(dt_timezone.utc))
    r = client.get(f"/book/{link['token']}")
    assert r.status_code == 410 and b"expired" in r.content
    hr_client.post(f"/api/v1/scheduling-links/{link['id']}/revoke")
    r = client.get(f"/book/{link['token']}")
    assert r.status_code == 410 and b"withdrawn" in r.content


def test_only_get(link):
    r = Client().post(f"/book/{link['token']}")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
