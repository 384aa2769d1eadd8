from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ServiceUnavailable
from core.schema import documents_errors
from core.models import Role
from integrations.google import client
from integrations.google.services import (
    google_connect_finish,
    google_connect_start,
    google_disconnect,
    google_sync,
    google_update_calendars,
)
from integrations.models import GoogleConnection


class ConnectionSerializer(serializers.ModelSerializer):
    connected = serializers.SerializerMethodField()

    class Meta:
        model = GoogleConnection
        fields = ["connected", "user", "status", "calendars", "busy_calendar", "scopes", "last_synced", "last_error",
                  "calendar_errors", "created"]
        read_only_fields = fields

    def get_connected(self, connection) -> bool:
        return connection.status == "active"


def _require_configured() -> None:
    if not client.is_configured():
        raise ServiceUnavailable("Google Calendar is not configured here (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET).")


def _own_connection(request) -> GoogleConnection:
    connection = GoogleConnection.objects.filter(user_id=request.user.pk).first()
    if connection is None:
        raise NotFound("Google Calendar is not connected.")
    return connection


class AuthorizeView(APIView):
    @extend_schema(responses=inline_serializer("GoogleAuthorize", {"authorization_url": serializers.URLField()}))
    @documents_errors({403: "only interviewers connect Google Calendar.", 503: "Google Calendar is not configured."})
    def get(self, request):
        _require_configured()
        if request.user.effective_role != Role.INTERVIEWER:
            raise PermissionDenied("Only interviewers connect Google Calendar.")
        return Response({"authorization_url": google_connect_start(user=request.user)})


class CallbackView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="GoogleCallbackInput")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=2048, required=False)
        state = serializers.CharField(max_length=2048)
        error = serializers.CharField(max_length=200, required=False)

    @extend_schema(parameters=[InputSerializer], responses=ConnectionSerializer)
    @documents_errors({503: "Google Calendar is not configured."})
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        _require_configured()
        if "error" in data.validated_data or "code" not in data.validated_data:
            reason = data.validated_data.get("error", "no code")
            raise serializers.ValidationError({"code": [f"Google did not grant access ({reason})."]})
        connection = google_connect_finish(code=data.validated_data["code"], state=data.validated_data["state"])
        return Response(ConnectionSerializer(connection).data)


class ConnectionView(APIView):
    @extend_schema_serializer(component_name="GoogleCalendarsInput")
    class InputSerializer(serializers.Serializer):
        calendars = serializers.ListField(child=serializers.CharField(max_length=255), min_length=1, max_length=20)
        busy_calendar = serializers.CharField(max_length=255, required=False)

    @extend_schema(responses=ConnectionSerializer)
    @documents_errors({404: "Google Calendar is not connected for the caller."})
    def get(self, request):
        return Response(ConnectionSerializer(_own_connection(request)).data)

    @extend_schema(request=InputSerializer, responses=ConnectionSerializer)
    @documents_errors({404: "Google Calendar is not connected for the caller."})
    def patch(self, request):
        connection = _own_connection(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = google_update_calendars(
            connection=connection,
            calendars=list(dict.fromkeys(data.validated_data["calendars"])),
            busy_calendar=data.validated_data.get("busy_calendar"),
        )
        return Response(ConnectionSerializer(connection).data)

    @extend_schema(responses={204: None})
    @documents_errors({404: "Google Calendar is not connected for the caller."})
    def delete(self, request):
        google_disconnect(connection=_own_connection(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SyncView(APIView):
    @extend_schema(request=None, responses=ConnectionSerializer)
    @documents_errors({404: "Google Calendar is not connected for the caller."})
    def post(self, request):
        connection = _own_connection(request)
        google_sync(user_id=request.user.pk)
        connection.refresh_from_db()
        return Response(ConnectionSerializer(connection).data)
