from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view, inline_serializer
from rest_framework import serializers

from core.schema import documents_errors
from integrations import oauth_views
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


MICROSOFT = oauth_views.OAuthCalendar(
    connection_model=MicrosoftConnection,
    serializer=MicrosoftConnectionSerializer,
    is_configured=client.is_configured,
    connect_start=microsoft_connect_start,
    connect_finish=microsoft_connect_finish,
    sync=microsoft_sync,
    disconnect=microsoft_disconnect,
    not_configured="Microsoft 365 is not configured here (MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET).",
    not_connected="Microsoft 365 is not connected.",
    interviewers_only="Only interviewers connect a calendar.",
    denied="Microsoft did not grant access ({reason}).",
)
NOT_CONNECTED = {404: "Microsoft 365 is not connected for the caller."}


@extend_schema_view(get=[
    extend_schema(responses=inline_serializer("MicrosoftAuthorize", {"authorization_url": serializers.URLField()})),
    documents_errors({403: "only interviewers connect a calendar.", 503: "Microsoft 365 is not configured."}),
])
class MicrosoftAuthorizeView(oauth_views.AuthorizeView):
    calendar = MICROSOFT


@extend_schema_serializer(component_name="MicrosoftCallbackInput")
class CallbackInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=4096, required=False)
    state = serializers.CharField(max_length=2048)
    error = serializers.CharField(max_length=200, required=False)
    error_description = serializers.CharField(max_length=2000, required=False)


@extend_schema_view(get=[
    extend_schema(parameters=[CallbackInputSerializer], responses=MicrosoftConnectionSerializer),
    documents_errors({503: "Microsoft 365 is not configured."}),
])
class MicrosoftCallbackView(oauth_views.CallbackView):
    calendar = MICROSOFT
    InputSerializer = CallbackInputSerializer


@extend_schema_view(
    get=[extend_schema(responses=MicrosoftConnectionSerializer), documents_errors(NOT_CONNECTED)],
    delete=[extend_schema(responses={204: None}), documents_errors(NOT_CONNECTED)],
)
class MicrosoftConnectionView(oauth_views.ConnectionView):
    calendar = MICROSOFT


@extend_schema_view(post=[extend_schema(request=None, responses=MicrosoftConnectionSerializer),
                          documents_errors(NOT_CONNECTED)])
class MicrosoftSyncView(oauth_views.SyncView):
    calendar = MICROSOFT
