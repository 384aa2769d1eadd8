from tests.scheduling.helpers import at

PRIVATE_KEYS = {"id", "candidate", "user", "users", "unavailable", "email", "pool", "created_by"}


def make_link(client, candidate, interviewers, **extra):
    body = {"candidate": candidate.pk, "interviewers": [i.pk for i in interviewers],
            "start": at(0).isoformat(), "end": at(0, day=2).isoformat(), **extra}
    r = client.post("/api/v1/scheduling-links/", body, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def public(token: str) -> str:
    return f"/api/v1/public/links/{token}"


def assert_nothing_private(value, users=()) -> None:
    """No email address and no user id anywhere in a public answer."""
    emails = {u.email for u in users}
    if isinstance(value, dict):
        assert not set(value) & PRIVATE_KEYS, value
        for item in value.values():
            assert_nothing_private(item, users)
    elif isinstance(value, list):
        for item in value:
            assert_nothing_private(item, users)
    elif isinstance(value, str):
        assert "@" not in value and not any(e in value for e in emails), value
