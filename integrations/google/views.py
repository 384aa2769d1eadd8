from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response

from core.schema import documents_errors
from integrations import oauth_views
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


GOOGLE = oauth_views.OAuthCalendar(
    connection_model=GoogleConnection,
    serializer=ConnectionSerializer,
    is_configured=client.is_configured,
    connect_start=google_connect_start,
    connect_finish=google_connect_finish,
    sync=google_sync,
    disconnect=google_disconnect,
    not_configured="Google Calendar is not configured here (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET).",
    not_connected="Google Calendar is not connected.",
    interviewers_only="Only interviewers connect Google Calendar.",
    denied="Google did not grant access ({reason}).",
)
NOT_CONNECTED = {404: "Google Calendar is not connected for the caller."}


@extend_schema_view(get=[
    extend_schema(responses=inline_serializer("GoogleAuthorize", {"authorization_url": serializers.URLField()})),
    documents_errors({403: "only interviewers connect Google Calendar.", 503: "Google Calendar is not configured."}),
])
class AuthorizeView(oauth_views.AuthorizeView):
    calendar = GOOGLE


@extend_schema_serializer(component_name="GoogleCallbackInput")
class CallbackInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=2048, required=False)
    state = serializers.CharField(max_length=2048)
    error = serializers.CharField(max_length=200, required=False)


@extend_schema_view(get=[
    extend_schema(parameters=[CallbackInputSerializer], responses=ConnectionSerializer),
    documents_errors({503: "Google Calendar is not configured."}),
])
class CallbackView(oauth_views.CallbackView):
    calendar = GOOGLE
    InputSerializer = CallbackInputSerializer


@extend_schema_view(
    get=[extend_schema(responses=ConnectionSerializer), documents_errors(NOT_CONNECTED)],
    delete=[extend_schema(responses={204: None}), documents_errors(NOT_CONNECTED)],
)
class ConnectionView(oauth_views.ConnectionView):
    calendar = GOOGLE

    @extend_schema_serializer(component_name="GoogleCalendarsInput")
    class InputSerializer(serializers.Serializer):
        calendars = serializers.ListField(child=serializers.CharField(max_length=255), min_length=1, max_length=20)
        busy_calendar = serializers.CharField(max_length=255, required=False)

    @extend_schema(request=InputSerializer, responses=ConnectionSerializer)
    @documents_errors(NOT_CONNECTED)
    def patch(self, request):
        connection = self.own_connection(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = google_update_calendars(
            connection=connection,
            calendars=list(dict.fromkeys(data.validated_data["calendars"])),
            busy_calendar=data.validated_data.get("busy_calendar"),
        )
        return Response(ConnectionSerializer(connection).data)


@extend_schema_view(post=[extend_schema(request=None, responses=ConnectionSerializer), documents_errors(NOT_CONNECTED)])
class SyncView(oauth_views.SyncView):
    calendar = GOOGLE
