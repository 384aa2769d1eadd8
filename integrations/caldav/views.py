from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.schema import documents_errors
from core.models import Role
from integrations.caldav.services import caldav_connect, caldav_disconnect, caldav_sync, caldav_update_calendars
from integrations.models import CalDAVConnection, ConnectionStatus


class CalendarSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class CalDAVConnectionSerializer(serializers.ModelSerializer):
    """The connection as its owner sees it: never the password."""

    connected = serializers.SerializerMethodField()
    available_calendars = CalendarSerializer(many=True)

    class Meta:
        model = CalDAVConnection
        fields = ["connected", "user", "url", "username", "status", "calendars", "available_calendars",
                  "busy_calendar", "last_synced", "last_error", "calendar_errors", "created"]
        read_only_fields = fields

    def get_connected(self, connection) -> bool:
        return connection.status == ConnectionStatus.ACTIVE


def _own_connection(request) -> CalDAVConnection:
    connection = CalDAVConnection.objects.filter(user_id=request.user.pk).first()
    if connection is None:
        raise NotFound("No CalDAV calendar is connected.")
    return connection


class CalDAVView(APIView):
    throttle_scope = "imports"  # each connect logs in to a server of the caller's choosing
    throttle_methods = {"POST"}

    @extend_schema_serializer(component_name="CalDAVConnectInput")
    class ConnectSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=2048)
        username = serializers.CharField(max_length=255)
        password = serializers.CharField(max_length=1024, write_only=True, trim_whitespace=False)

    @extend_schema_serializer(component_name="CalDAVCalendarsInput")
    class CalendarsSerializer(serializers.Serializer):
        calendars = serializers.ListField(child=serializers.CharField(max_length=2048), min_length=1, max_length=50)
        busy_calendar = serializers.CharField(max_length=2048, required=False)

    @extend_schema(responses=CalDAVConnectionSerializer)
    @documents_errors({404: "No CalDAV calendar is connected for the caller."})
    def get(self, request):
        return Response(CalDAVConnectionSerializer(_own_connection(request)).data)

    @extend_schema(request=ConnectSerializer, responses={201: CalDAVConnectionSerializer})
    @documents_errors({403: "only interviewers connect a calendar."})
    @idempotent
    def post(self, request):
        if request.user.effective_role != Role.INTERVIEWER:
            raise PermissionDenied("Only interviewers connect a calendar.")
        data = self.ConnectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = caldav_connect(user=request.user, **data.validated_data)
        return Response(CalDAVConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CalendarsSerializer, responses=CalDAVConnectionSerializer)
    @documents_errors({404: "No CalDAV calendar is connected for the caller."})
    def patch(self, request):
        connection = _own_connection(request)
        data = self.CalendarsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = caldav_update_calendars(
            connection=connection,
            calendars=list(dict.fromkeys(data.validated_data["calendars"])),
            busy_calendar=data.validated_data.get("busy_calendar"),
        )
        return Response(CalDAVConnectionSerializer(connection).data)

    @extend_schema(responses={204: None})
    @documents_errors({404: "No CalDAV calendar is connected for the caller."})
    def delete(self, request):
        caldav_disconnect(connection=_own_connection(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalDAVSyncView(APIView):
    @extend_schema(request=None, responses=CalDAVConnectionSerializer)
    @documents_errors({404: "No CalDAV calendar is connected for the caller."})
    def post(self, request):
        connection = _own_connection(request)
        caldav_sync(user_id=request.user.pk)
        connection.refresh_from_db()
        return Response(CalDAVConnectionSerializer(connection).data)
