"""``GET /book/<token>``: the candidate's page. Server-rendered; a small script (static/links/book.js) talks
to the public JSON calls. No account, no cookies, no outside assets."""

from functools import cache
from zoneinfo import available_timezones

from django.shortcuts import render
from django.urls import reverse

from core.errors import json_error
from links.models import LinkStatus
from links.selectors import link_by_token, link_status

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the token is in the address: never send it elsewhere
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


REGIONS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}


@cache
def zone_names() -> list[str]:
    """The zones a candidate may pick: every IANA region/city name, and UTC."""
    return sorted(z for z in available_timezones() if z.split("/")[0] in REGIONS and "/" in z) + ["UTC"]


def _answer(request, template: str, context: dict, status: int):
    response = render(request, template, context, status=status)
    for name, value in SECURITY_HEADERS.items():
        response[name] = value
    return response


def book_page(request, token: str):
    if request.method not in ("GET", "HEAD"):
        return json_error("method_not_allowed", "This page only answers GET.", 405)
    link = link_by_token(token)
    if link is None:
        return _answer(request, "links/gone.html", {"reason": "unknown"}, 404)
    status = link_status(link)
    if status in (LinkStatus.REVOKED, LinkStatus.EXPIRED):
        return _answer(request, "links/gone.html", {"reason": status}, 410)
    names = [u.name or "an interviewer" for u in link.interviewers.all()]
    return _answer(request, "links/book.html", {
        "title": link.title or "Interview",
        "duration": link.duration,
        "names": names,
        "pool_size": link.pool_size,
        "link_zone": link.timezone,
        "zones": zone_names(),
        "api_url": reverse("public-link", kwargs={"token": token}),
    }, 200)
