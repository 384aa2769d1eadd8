from django.urls import reverse
from rest_framework import serializers

from core.fields import LocalDateTimeField, SingleLineField, TimezoneField
from scheduling.models import Interview, InterviewRequest, RequestChoice, RequestMode
from slots.models import InterviewerPolicy
from slots.policy import MAX_BUFFER_MINUTES


class InterviewSerializer(serializers.ModelSerializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    interviewers = serializers.SerializerMethodField()
    duration = serializers.IntegerField(source="duration_minutes")
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = [
            "id", "uid", "candidate", "interviewers", "title", "start", "end", "duration",
            "status", "sequence", "ics_url", "created", "loop", "cancelled_at", "cancel_reason",
        ]
        read_only_fields = fields

    def get_interviewers(self, interview) -> list[int]:
        return sorted(u.pk for u in interview.interviewers.all())

    def get_ics_url(self, interview) -> str:
        path = reverse("interview-invite", kwargs={"pk": interview.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class BookInputSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1)
    interviewers = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=10)
    start = LocalDateTimeField()
    duration = serializers.IntegerField(min_value=15, max_value=480, default=60)
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know (400 naming them) instead of ignoring them; ``fixed`` names fields that
    exist on the object but cannot be changed here."""

    fixed: dict[str, str] = {}

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            errors = {}
            for name in self.initial_data:
                if name in self.fields:
                    continue
                errors[name] = [self.fixed.get(name, "Unknown field; it cannot be set here.")]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class InterviewChangeInputSerializer(StrictInputSerializer):
    """``PATCH /interviews/{id}/``: any of time, duration, title and panel."""

    start = LocalDateTimeField(required=False)
    duration = serializers.IntegerField(min_value=15, max_value=480, required=False)
    title = SingleLineField(max_length=200, required=False, allow_blank=True)
    interviewers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=10, required=False
    )
    fixed = {
        "candidate": "The candidate of an interview cannot change: cancel it and book a new one.",
        "status": "Cancel with POST /api/v1/interviews/{id}/cancel.",
        "end": "Send start and/or duration.",
        **{name: "Read-only." for name in ("id", "uid", "sequence", "ics_url", "created", "loop", "cancelled_at",
                                           "cancel_reason")},
    }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError("Send at least one of start, duration, title, interviewers.")
        return attrs



class CancelInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class InterviewRequestInputSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1)
    interviewers = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=10)
    mode = serializers.ChoiceField(choices=RequestMode.choices, default=RequestMode.PANEL)
    choice = serializers.ChoiceField(choices=RequestChoice.choices, default=RequestChoice.EARLIEST)
    duration = serializers.IntegerField(min_value=15, max_value=480, default=60)
    window_start = LocalDateTimeField()
    window_end = LocalDateTimeField()
    title = SingleLineField(max_length=200, required=False, allow_blank=True, default="")
    timezone = TimezoneField(required=False)

    def validate(self, attrs):
        if attrs["window_end"] <= attrs["window_start"]:
            raise serializers.ValidationError({"window_end": ["window_end must be after window_start."]})
        if (attrs["window_end"] - attrs["window_start"]).days > 366:
            raise serializers.ValidationError({"window_end": ["A window may span at most 366 days."]})
        return attrs


class InterviewRequestSerializer(serializers.ModelSerializer):
    window_start = LocalDateTimeField()
    window_end = LocalDateTimeField()
    interviewers = serializers.SerializerMethodField()

    class Meta:
        model = InterviewRequest
        fields = [
            "id", "candidate", "interviewers", "mode", "choice", "duration", "window_start", "window_end",
            "title", "timezone", "status", "interview", "created", "last_attempt", "explanation",
        ]
        read_only_fields = fields

    def get_interviewers(self, request) -> list[int]:
        return sorted(u.pk for u in request.interviewers.all())


class PolicySerializer(serializers.ModelSerializer):
    buffer_before = serializers.IntegerField(min_value=0, max_value=MAX_BUFFER_MINUTES, required=False)
    buffer_after = serializers.IntegerField(min_value=0, max_value=MAX_BUFFER_MINUTES, required=False)
    min_notice = serializers.IntegerField(min_value=0, max_value=60 * 24 * 60, required=False)
    max_per_day = serializers.IntegerField(min_value=1, max_value=48, required=False, allow_null=True)

    class Meta:
        model = InterviewerPolicy
        fields = ["user", "buffer_before", "buffer_after", "min_notice", "max_per_day"]
        read_only_fields = ["user"]
