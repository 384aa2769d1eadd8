from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import acting_for, listing_scope
from core.errors import PayloadTooLarge
from core.idempotency import idempotent
from integrations.ical.fetch import FetchError
from integrations.ical.parse import CalendarError
from integrations.models import CalendarKind, CalendarSource
from integrations.services import (
    calendar_import,
    calendar_import_url,
    subscription_create,
    subscription_delete,
)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, allow_empty_file=False, max_length=255)
    url = serializers.URLField(required=False, max_length=2048)
    kind = serializers.ChoiceField(choices=CalendarKind.choices, default=CalendarKind.BUSY)
    user = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if ("file" in attrs) == ("url" in attrs):
            raise serializers.ValidationError({"file": ["Send either a file or a url."]})
        return attrs


class SourceSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="name")

    class Meta:
        model = CalendarSource
        fields = ["id", "user", "source", "url", "kind", "periods", "is_subscription", "last_synced", "last_error"]
        read_only_fields = fields


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
                source = calendar_import_url(user=user, url=params["url"], kind=params["kind"])
        except (CalendarError, FetchError) as exc:
            field = "file" if "file" in params else "url"
            raise ValidationError({field: [str(exc)]}) from None
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class SubscriptionInputSerializer(serializers.Serializer):
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
            source = subscription_create(user=user, url=data.validated_data["url"], kind=data.validated_data["kind"])
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
