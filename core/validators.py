"""Model field validators."""

from django.core.exceptions import ValidationError

from core.timezones import is_timezone


def validate_timezone(name: str) -> None:
    if not is_timezone(name):
        raise ValidationError(f"Unknown timezone {name!r}: use an IANA name such as Europe/Paris.")
