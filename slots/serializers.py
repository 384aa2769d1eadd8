from datetime import time, timedelta

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import LocalDateTimeField, TimezoneField
from slots.models import AvailabilityWindow, BusyPeriod, WeeklyRule

MAX_WINDOW = timedelta(days=31)
MAX_WINDOWS_PER_REQUEST = 500


def check_span(start, end, *, longest: timedelta = MAX_WINDOW) -> None:
    if end <= start:
        raise serializers.ValidationError({"end": ["end must be after start."]})
    if end - start > longest:
        raise serializers.ValidationError({"end": [f"A window may last at most {longest.days} days."]})


class WindowInputSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    user = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        check_span(attrs["start"], attrs["end"])
        return attrs


class WindowPatchSerializer(serializers.Serializer):
    start = LocalDateTimeField(required=False)
    end = LocalDateTimeField(required=False)


class WindowSerializer(serializers.ModelSerializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()

    class Meta:
        model = AvailabilityWindow
        fields = ["id", "user", "start", "end", "source"]
        read_only_fields = fields


class BusyPeriodSerializer(serializers.ModelSerializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()

    class Meta:
        model = BusyPeriod
        fields = ["id", "user", "start", "end", "source", "interview"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", "example": "09:00"})
class WallTimeField(serializers.Field):
    """``"HH:MM"`` wall-clock time; ``"24:00"`` is the midnight that ends a day."""

    default_error_messages = {"invalid": "Use a time of day as HH:MM, from 00:00 to 24:00."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) not in (5, 8) or data[2] != ":":
            self.fail("invalid")
        if data in ("24:00", "24:00:00"):
            return time(0)
        try:
            return time.fromisoformat(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return value.strftime("%H:%M")


class WeeklyRuleInputSerializer(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), min_length=1, max_length=7
    )
    start_time = WallTimeField()
    end_time = WallTimeField()
    timezone = TimezoneField(required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    user = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if attrs["start_time"] == attrs["end_time"] and attrs["start_time"] != time(0):
            raise serializers.ValidationError({"end_time": ["end_time must differ from start_time."]})
        valid_from, valid_until = attrs.get("valid_from"), attrs.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            raise serializers.ValidationError({"valid_until": ["valid_until must not be before valid_from."]})
        return attrs


class WeeklyRuleSerializer(serializers.ModelSerializer):
    start_time = WallTimeField()
    end_time = WallTimeField()

    class Meta:
        model = WeeklyRule
        fields = ["id", "user", "weekdays", "start_time", "end_time", "timezone", "valid_from", "valid_until"]
        read_only_fields = fields


class RangeSerializer(serializers.Serializer):
    """``start``/``end`` query parameters bounding a listing."""

    start = LocalDateTimeField(required=False)
    end = LocalDateTimeField(required=False)

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        return attrs
