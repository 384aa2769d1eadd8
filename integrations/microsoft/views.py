from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ServiceUnavailable
from core.schema import documents_errors
from core.models import Role
from integrations.microsoft import client
from integrations.microsoft.services import (
    microsoft_connect_finish,
    microsoft_connect_start,
    microsoft_disconnect,
    microsoft_sync,
)
from integrations.models import ConnectionStatus, MicrosoftConnection


class MicrosoftConnectionSerializer(serializers.ModelSerializer):
    """The connection as its owner sees it: never a token."""

    connected = serializers.SerializerMethodField()

    class Meta:
        model = MicrosoftConnection
        fields = ["connected", "user", "mailbox", "status", "scopes", "last_synced", "last_error", "created"]
        read_only_fields = fields

    def get_connected(self, connection) -> bool:
        return connection.status == ConnectionStatus.ACTIVE


def _require_configured() -> None:
    if not client.is_configured():
        raise ServiceUnavailable("Microsoft 365 is not configured here (MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET).")


def _own_connection(request) -> MicrosoftConnection:
    connection = MicrosoftConnection.objects.filter(user_id=request.user.pk).first()
    if connection is None:
        raise NotFound("Microsoft 365 is not connected.")
    return connection


class MicrosoftAuthorizeView(APIView):
    @extend_schema(responses=inline_serializer("MicrosoftAuthorize", {"authorization_url": serializers.URLField()}))
    @documents_errors({403: "only interviewers connect a calendar.", 503: "Microsoft 365 is not configured."})
    def get(self, request):
        _require_configured()
        if request.user.effective_role != Role.INTERVIEWER:
            raise PermissionDenied("Only interviewers connect a calendar.")
        try:
            url = microsoft_connect_start(user=request.user)
        except client.MicrosoftError as exc:
            raise ServiceUnavailable(str(exc)) from None
        return Response({"authorization_url": url})


class MicrosoftCallbackView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="MicrosoftCallbackInput")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=4096, required=False)
        state = serializers.CharField(max_length=2048)
        error = serializers.CharField(max_length=200, required=False)
        error_description = serializers.CharField(max_length=2000, required=False)

    @extend_schema(parameters=[InputSerializer], responses=MicrosoftConnectionSerializer)
    @documents_errors({503: "Microsoft 365 is not configured."})
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        _require_configured()
        if "error" in data.validated_data or "code" not in data.validated_data:
            reason = data.validated_data.get("error", "no code")
            raise serializers.ValidationError({"code": [f"Microsoft did not grant access ({reason})."]})
        connection = microsoft_connect_finish(code=data.validated_data["code"], state=data.validated_data["state"])
        return Response(MicrosoftConnectionSerializer(connection).data)


class MicrosoftConnectionView(APIView):
    @extend_schema(responses=MicrosoftConnectionSerializer)
    @documents_errors({404: "Microsoft 365 is not connected for the caller."})
    def get(self, request):
        return Response(MicrosoftConnectionSerializer(_own_connection(request)).data)

    @extend_schema(responses={204: None})
    @documents_errors({404: "Microsoft 365 is not connected for the caller."})
    def delete(self, request):
        microsoft_disconnect(connection=_own_connection(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MicrosoftSyncView(APIView):
    @extend_schema(request=None, responses=MicrosoftConnectionSerializer)
    @documents_errors({404: "Microsoft 365 is not connected for the caller."})
    def post(self, request):
        connection = _own_connection(request)
        microsoft_sync(user_id=request.user.pk)
        connection.refresh_from_db()
        return Response(MicrosoftConnectionSerializer(connection).data)
