"""The API of a calendar an interviewer connects by signing in (Google, Microsoft 365): the consent URL, the
provider's callback, the caller's connection, and a sync now.

A provider's views are these with its ``calendar``: what they say and call. Each keeps its own schema
(``extend_schema_view`` on its views: the component names and descriptions stay the provider's), so these
carry no docstrings, which the schema would show as descriptions.
"""

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.calendar_providers import ProviderError
from core.errors import ServiceUnavailable
from core.models import Role


@dataclass(frozen=True)
class OAuthCalendar:
    """What the views of one provider say and call: its connection model and serializer, its services, and
    its words for the errors."""

    connection_model: type
    serializer: type[serializers.Serializer]
    is_configured: Callable[[], bool]
    connect_start: Callable  # (user=) -> the consent URL
    connect_finish: Callable  # (code=, state=) -> the connection
    sync: Callable  # (user_id=)
    disconnect: Callable  # (connection=)
    not_configured: str
    not_connected: str
    interviewers_only: str
    denied: str  # "... ({reason})."


class OAuthView(APIView):
    calendar: OAuthCalendar

    def require_configured(self) -> None:
        if not self.calendar.is_configured():
            raise ServiceUnavailable(self.calendar.not_configured)

    def own_connection(self, request):
        connection = self.calendar.connection_model.objects.filter(user_id=request.user.pk).first()
        if connection is None:
            raise NotFound(self.calendar.not_connected)
        return connection


class AuthorizeView(OAuthView):
    def get(self, request):
        self.require_configured()
        if request.user.effective_role != Role.INTERVIEWER:
            raise PermissionDenied(self.calendar.interviewers_only)
        try:
            url = self.calendar.connect_start(user=request.user)
        except ProviderError as exc:  # the provider's sign-in could not be reached
            raise ServiceUnavailable(str(exc)) from None
        return Response({"authorization_url": url})


class CallbackView(OAuthView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    InputSerializer: type[serializers.Serializer]  # code, state and error, as the provider sends them

    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        self.require_configured()
        if "error" in data.validated_data or "code" not in data.validated_data:
            reason = data.validated_data.get("error", "no code")
            raise serializers.ValidationError({"code": [self.calendar.denied.format(reason=reason)]})
        connection = self.calendar.connect_finish(code=data.validated_data["code"], state=data.validated_data["state"])
        return Response(self.calendar.serializer(connection).data)


class ConnectionView(OAuthView):
    def get(self, request):
        return Response(self.calendar.serializer(self.own_connection(request)).data)

    def delete(self, request):
        self.calendar.disconnect(connection=self.own_connection(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SyncView(OAuthView):
    def post(self, request):
        connection = self.own_connection(request)
        self.calendar.sync(user_id=request.user.pk)
        connection.refresh_from_db()
        return Response(self.calendar.serializer(connection).data)
