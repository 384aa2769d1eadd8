"""IANA timezone names and wall-clock conversion. Pure Python: no Django import."""

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: object) -> bool:
    return isinstance(name, str) and name in _known()


@lru_cache(maxsize=512)
def get_zone(name: str) -> ZoneInfo:
    if not is_timezone(name):
        raise ZoneInfoNotFoundError(name)
    return ZoneInfo(name)


def wall_to_instants(wall: datetime, tz: tzinfo) -> list[datetime]:
    """The UTC instants whose wall-clock time in ``tz`` is ``wall``: none in a gap, two in a repeat."""
    instants = []
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    candidates = (first,) if first.utcoffset() == second.utcoffset() else (first, second)
    for candidate in candidates:
        instant = candidate.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall:
            instants.append(instant)
    return instants
