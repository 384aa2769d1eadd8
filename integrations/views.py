from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import acting_for, listing_scope
from core.errors import PayloadTooLarge
from core.idempotency import idempotent
from core.parsers import JSONParser
from core.query_params import check_query_params
from integrations.ical.fetch import FetchError
from integrations.ical.parse import CalendarError
from integrations.models import CalendarKind, CalendarSource
from integrations.services import (
    calendar_import,
    calendar_import_url,
    subscription_create,
    subscription_delete,
)


def _no_control_characters(value: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise serializers.ValidationError("Must not contain control characters.")


class CredentialsInputSerializer(serializers.Serializer):
    """Basic auth for a calendar URL: sent only to that URL's own server, the password never shown back."""

    username = serializers.CharField(required=False, allow_blank=True, max_length=255, trim_whitespace=False,
                                     validators=[_no_control_characters])
    password = serializers.CharField(required=False, allow_blank=True, max_length=1024, trim_whitespace=False,
                                     write_only=True, validators=[_no_control_characters],
                                     style={"input_type": "password"})

    def validate_username(self, value):
        if ":" in value:
            raise serializers.ValidationError("A user name for a calendar URL cannot contain a colon.")
        return value

    def validate(self, attrs):
        if attrs.get("password") and not attrs.get("username"):
            raise serializers.ValidationError({"username": ["Give the user name that goes with the password."]})
        return attrs


class ImportInputSerializer(CredentialsInputSerializer):
    file = serializers.FileField(required=False, allow_empty_file=False, max_length=255)
    url = serializers.URLField(required=False, max_length=2048)
    kind = serializers.ChoiceField(choices=CalendarKind.choices, default=CalendarKind.BUSY)
    user = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("file" in attrs) == ("url" in attrs):
            raise serializers.ValidationError({"file": ["Send either a file or a url."]})
        if "file" in attrs and (attrs.get("username") or attrs.get("password")):
            raise serializers.ValidationError({"username": ["A user name and password go with a url, not a file."]})
        return attrs


class SkippedSerializer(serializers.Serializer):
    uid = serializers.CharField()
    summary = serializers.CharField()
    reason = serializers.CharField()


class SourceSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="name")
    skipped = SkippedSerializer(many=True, read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    has_password = serializers.SerializerMethodField()

    class Meta:
        model = CalendarSource
        fields = ["id", "user", "source", "url", "kind", "periods", "skipped", "warnings", "is_subscription",
                  "username", "has_password", "last_synced", "last_error"]
        read_only_fields = fields

    def get_has_password(self, source) -> bool:
        return bool(source.password_encrypted)


class CalendarImportView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = "imports"

    @extend_schema(request=ImportInputSerializer, responses={201: SourceSerializer})
    @idempotent
    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        user = acting_for(request, params.get("user"))
        try:
            if "file" in params:
                upload = params["file"]
                if upload.size > settings.ICAL_MAX_BYTES:
                    raise PayloadTooLarge(f"The calendar is larger than {settings.ICAL_MAX_BYTES // 1024} KiB.")
                source = calendar_import(user=user, name=upload.name, content=upload.read(), kind=params["kind"])
            else:
                source = calendar_import_url(user=user, url=params["url"], kind=params["kind"],
                                             username=params.get("username", ""), password=params.get("password", ""))
        except CalendarError as exc:
            raise ValidationError({"file" if "file" in params else "url": exc.messages}) from None
        except FetchError as exc:
            raise ValidationError({"url": [str(exc)]}) from None
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class SubscriptionInputSerializer(CredentialsInputSerializer):
    url = serializers.URLField(max_length=2048)
    kind = serializers.ChoiceField(choices=CalendarKind.choices, default=CalendarKind.BUSY)
    user = serializers.IntegerField(required=False, min_value=1)


def _subscriptions(request):
    sources = CalendarSource.objects.filter(is_subscription=True)
    return sources if request.user.is_superuser else sources.filter(user=request.user)


class SubscriptionListView(APIView):
    throttle_scope = "imports"
    throttle_methods = {"POST"}
    @extend_schema(responses=SourceSerializer(many=True))
    def get(self, request):
        check_query_params(request, {"user"})
        sources = _subscriptions(request)
        user_id = listing_scope(request, request.query_params.get("user"))
        if user_id is not None:
            sources = sources.filter(user_id=user_id)
        return Response(SourceSerializer(sources, many=True).data)

    @extend_schema(request=SubscriptionInputSerializer, responses={201: SourceSerializer})
    @idempotent
    def post(self, request):
        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = acting_for(request, data.validated_data.get("user"))
        try:
            params = data.validated_data
            source = subscription_create(user=user, url=params["url"], kind=params["kind"],
                                         username=params.get("username", ""), password=params.get("password", ""))
        except FetchError as exc:
            raise ValidationError({"url": [str(exc)]}) from None
        source.refresh_from_db()
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    @extend_schema(responses=SourceSerializer)
    def get(self, request, pk):
        return Response(SourceSerializer(get_object_or_404(_subscriptions(request), pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        subscription_delete(source=get_object_or_404(_subscriptions(request), pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
