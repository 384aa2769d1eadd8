from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from core.fields import LocalDateTimeField, SingleLineField, TimezoneField, zone_for
from core.timezones import get_zone, wall_to_instants
from links.selectors import link_status
from links.tokens import link_token, link_url

MAX_POOL = 20
MAX_SPAN = timedelta(days=60)
DEFAULT_SPAN = timedelta(days=14)


class LinkInputSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1)
    interviewers = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=10, default=list)
    pool = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=MAX_POOL, default=list)
    pool_size = serializers.IntegerField(min_value=1, max_value=10, required=False)
    duration = serializers.IntegerField(min_value=15, max_value=480, default=60)
    step = serializers.IntegerField(min_value=5, max_value=1440, default=30)
    start = LocalDateTimeField(required=False)
    end = LocalDateTimeField(required=False)
    expires_at = LocalDateTimeField(required=False)
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")
    timezone = TimezoneField(required=False)

    def validate(self, attrs):
        now = timezone.now()
        if not attrs["interviewers"] and not attrs["pool"]:
            raise serializers.ValidationError({"interviewers": ["Name at least one interviewer (or a pool)."]})
        if set(attrs["interviewers"]) & set(attrs["pool"]):
            raise serializers.ValidationError({"pool": ["A pool member cannot also be on the fixed panel."]})
        if "pool_size" in attrs and not attrs["pool"]:
            raise serializers.ValidationError({"pool_size": ["pool_size needs a pool."]})
        attrs["pool_size"] = attrs.get("pool_size", 1) if attrs["pool"] else 0
        if attrs["pool_size"] > len(set(attrs["pool"])):
            raise serializers.ValidationError({"pool_size": ["pool_size cannot be more than the pool's members."]})
        attrs.setdefault("start", now)
        attrs.setdefault("end", attrs["start"] + DEFAULT_SPAN)
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if attrs["end"] <= now:
            raise serializers.ValidationError({"end": ["end must be in the future."]})
        if attrs["end"] - attrs["start"] > MAX_SPAN:
            raise serializers.ValidationError({"end": ["start and end may be at most 60 days apart."]})
        if attrs["end"] - attrs["start"] < timedelta(minutes=attrs["duration"]):
            raise serializers.ValidationError({"end": ["The range is shorter than one interview."]})
        attrs.setdefault("expires_at", attrs["end"])
        if attrs["expires_at"] <= now:
            raise serializers.ValidationError({"expires_at": ["expires_at must be in the future."]})
        return attrs


class LinkSerializer(serializers.Serializer):
    """HR's view of a link. ``token``/``url`` are derived again (only their hash is stored)."""

    id = serializers.IntegerField()
    token = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    candidate = serializers.IntegerField(source="candidate_id")
    interviewers = serializers.SerializerMethodField()
    pool = serializers.SerializerMethodField()
    pool_size = serializers.IntegerField()
    duration = serializers.IntegerField()
    step = serializers.IntegerField()
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    expires_at = LocalDateTimeField()
    title = serializers.CharField()
    timezone = serializers.CharField()
    interview = serializers.SerializerMethodField()
    revoked_at = LocalDateTimeField(allow_null=True)
    created = LocalDateTimeField()

    def get_token(self, link) -> str:
        return link_token(link.salt)

    def get_url(self, link) -> str:
        return link_url(link_token(link.salt))

    def get_status(self, link) -> str:
        return link_status(link)

    def get_interviewers(self, link) -> list[int]:
        return sorted(u.pk for u in link.interviewers.all())

    def get_pool(self, link) -> list[int]:
        return sorted(u.pk for u in link.pool.all())

    def get_interview(self, link) -> dict | None:
        interview = link.interview
        if interview is None:
            return None
        zone = zone_for(self.context)
        return {
            "id": interview.pk,
            "start": interview.start.astimezone(zone).isoformat(),
            "end": interview.end.astimezone(zone).isoformat(),
            "status": interview.status,
            "interviewers": sorted(u.pk for u in interview.interviewers.all()),
        }


class PublicStartField(LocalDateTimeField):
    """A start from the public page: with an offset as given; without one, wall time in the zone the
    request names (``context["tz"]``), since there is no user profile to ask."""

    def enforce_timezone(self, value):
        if value.tzinfo is not None:
            return super().enforce_timezone(value)
        zone = self.context.get("tz") or get_zone("UTC")
        instants = wall_to_instants(value, zone)
        if not instants:
            self.fail("gap", value=value.isoformat(), zone=zone.key)
        return instants[0]


class PublicStartSerializer(serializers.Serializer):
    start = PublicStartField()
