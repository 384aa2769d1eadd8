from datetime import datetime, timedelta, timezone as dt_timezone

from slots.models import AvailabilityWindow

DAY = (datetime.now(dt_timezone.utc) + timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def iso(hour: int, minute: int = 0, day: int = 0) -> str:
    return at(hour, minute, day).isoformat()


def free(user, start_hour: int, end_hour: int, day: int = 0) -> None:
    AvailabilityWindow.objects.create(user=user, start=at(start_hour, day=day), end=at(end_hour, day=day))


def book(client, candidate, interviewers, hour, minute=0, **extra):
    body = {"candidate": candidate.pk, "interviewers": [i.pk for i in interviewers], "start": iso(hour, minute), **extra}
    return client.post("/api/v1/interviews/", body, format="json")


def slot_starts(client, candidate, interviewers) -> list[str]:
    query = "&".join(f"interviewer={i.pk}" for i in interviewers)
    start, end = at(0).isoformat().replace("+00:00", "Z"), at(0, day=2).isoformat().replace("+00:00", "Z")
    r = client.get(f"/api/v1/slots/?candidate={candidate.pk}&{query}&start={start}&end={end}&tz=UTC")
    assert r.status_code == 200, r.content
    return [s["start"][11:16] for s in r.json()["slots"]]
