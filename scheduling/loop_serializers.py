from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.access import MAX_PANEL, MAX_POOL
from core.fields import LocalDateTimeField, SingleLineField, TimezoneField, zone_for
from scheduling.models import Loop
from scheduling.serializers import InterviewSerializer
from slots.loops import MAX_SESSIONS

MIN_SESSIONS = 2
MAX_SEARCH_DAYS = 31
MAX_GAP_MINUTES = 240


def _ids(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), **kwargs)


def _once(ids: list[int], message: str) -> None:
    twice = sorted({pk for pk in ids if ids.count(pk) > 1})
    if twice:
        raise serializers.ValidationError({"interviewers": [message.format(pk=pk) for pk in twice]})


class SearchSessionSerializer(serializers.Serializer):
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")
    interviewers = _ids(required=False, default=list, max_length=MAX_PANEL)
    pool = _ids(required=False, default=list, max_length=MAX_POOL)
    pool_size = serializers.IntegerField(min_value=1, max_value=MAX_POOL, required=False)
    duration = serializers.IntegerField(min_value=15, max_value=480)

    def validate(self, attrs):
        if not attrs["interviewers"] and not attrs["pool"]:
            raise serializers.ValidationError({"interviewers": ["A session needs an interviewer or a pool."]})
        _once(attrs["interviewers"] + attrs["pool"], "User {pk} is in this session twice.")
        if "pool_size" in attrs and not attrs["pool"]:
            raise serializers.ValidationError({"pool_size": ["pool_size needs a pool."]})
        if attrs["pool"]:
            attrs.setdefault("pool_size", 1)
            if attrs["pool_size"] > len(attrs["pool"]):
                raise serializers.ValidationError({"pool_size": [f"The pool has only {len(attrs['pool'])} interviewers."]})
        return attrs


class LoopSearchSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    sessions = SearchSessionSerializer(many=True, min_length=MIN_SESSIONS, max_length=MAX_SESSIONS)
    order = serializers.ChoiceField(choices=["fixed", "any"], default="fixed")
    max_gap = serializers.IntegerField(min_value=0, max_value=MAX_GAP_MINUTES, default=0)
    start = LocalDateTimeField(required=False)
    end = LocalDateTimeField(required=False)
    tz = TimezoneField(required=False)
    step = serializers.IntegerField(min_value=5, max_value=1440, default=15)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)

    def validate(self, attrs):
        attrs.setdefault("start", timezone.now())
        attrs.setdefault("end", attrs["start"] + timedelta(days=14))
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if attrs["end"] - attrs["start"] > timedelta(days=MAX_SEARCH_DAYS):
            raise serializers.ValidationError({"end": [f"start and end may be at most {MAX_SEARCH_DAYS} days apart."]})
        return attrs


class BookSessionSerializer(serializers.Serializer):
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")
    interviewers = _ids(min_length=1, max_length=MAX_PANEL)
    start = LocalDateTimeField()
    duration = serializers.IntegerField(min_value=15, max_value=480)

    def validate(self, attrs):
        _once(attrs["interviewers"], "User {pk} is in this session twice.")
        return attrs


class LoopBookSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")
    sessions = BookSessionSerializer(many=True, min_length=MIN_SESSIONS, max_length=MAX_SESSIONS)


class LoopSerializer(serializers.ModelSerializer):
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    interviews = InterviewSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text="scheduled or cancelled")
    cancelled_at = LocalDateTimeField()
    created = LocalDateTimeField()

    class Meta:
        model = Loop
        fields = ["id", "candidate", "title", "status", "start", "end", "interviews", "created", "cancelled_at"]
        read_only_fields = fields

    def _at(self, moment) -> str | None:
        return None if moment is None else moment.astimezone(zone_for(self.context)).isoformat()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_start(self, loop):
        return self._at(min((i.start for i in loop.interviews.all()), default=None))

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_end(self, loop):
        return self._at(max((i.end for i in loop.interviews.all()), default=None))
