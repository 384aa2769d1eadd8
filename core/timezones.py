"""IANA timezone names: validation and lookup."""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError


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


def validate_timezone(name: str) -> None:
    if not is_timezone(name):
        raise ValidationError(f"Unknown timezone {name!r}: use an IANA name such as Europe/Paris.")
