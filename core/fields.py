"""Serializer fields for the API's conventions: IANA zones, and datetimes local to the acting user."""

from datetime import timezone as dt_timezone
from functools import cached_property
from zoneinfo import ZoneInfo

from rest_framework import serializers

from core.timezones import get_zone, is_timezone, wall_to_instants

MIN_YEAR = 1971
MAX_YEAR = 2200


def zone_for(context: dict) -> ZoneInfo:
    """The zone output is written in: ``context["tz"]`` (the ``tz`` asked for), else the acting user's."""
    if context.get("tz") is not None:
        return context["tz"]
    return profile_zone(context)


def profile_zone(context: dict) -> ZoneInfo:
    """The acting user's profile zone: input without an offset is wall time there (API.md)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and is_timezone(user.timezone):
        return get_zone(user.timezone)
    return get_zone("UTC")


class SingleLineField(serializers.CharField):
    """Text for one line (a title): runs of white space, line breaks included, become one space."""

    def to_internal_value(self, data):
        return " ".join(super().to_internal_value(data).split())


class TimezoneField(serializers.CharField):
    default_error_messages = {"unknown": "Unknown timezone {value!r}: use an IANA name such as Europe/Paris."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not is_timezone(value):
            self.fail("unknown", value=value)
        return value


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601 in and out. Input with an offset is taken as is; input without one is wall time in the
    acting user's zone (a wall time that does not exist there is refused). Stored in UTC, written in
    the zone asked for."""

    default_error_messages = {
        "range": f"Datetimes must lie between the years {MIN_YEAR} and {MAX_YEAR}.",
        "gap": "{value} does not exist in {zone} (the clocks skip it); give an offset or another time.",
    }

    def default_timezone(self):
        return self._output_zone

    @cached_property
    def _output_zone(self) -> ZoneInfo:
        """Looked up once per bound field: its context, and so its zone, is the same for every row written."""
        return zone_for(self.context)

    def enforce_timezone(self, value):
        if value.tzinfo is not None:
            return value.astimezone(dt_timezone.utc)
        zone = profile_zone(self.context)
        instants = wall_to_instants(value, zone)
        if not instants:
            self.fail("gap", value=value.isoformat(), zone=zone.key)
        return instants[0]  # a repeated wall time means its first occurrence (as RFC 5545 says)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("range")
        return parsed.astimezone(dt_timezone.utc)

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(self.default_timezone()).isoformat()


def parse_zone_param(value: str | None, field: str = "tz") -> ZoneInfo | None:
    if value in (None, ""):
        return None
    if not is_timezone(value):
        raise serializers.ValidationError({field: [f"Unknown timezone {value!r}: use an IANA name such as Europe/Paris."]})
    return get_zone(value)
