from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.client_ip import client_ip
from core.emails import normalize_email
from core.fields import SingleLineField, TimezoneField
from core.models import Role, User
from core.permissions import IsHR
from core.query_params import check_query_params
from core.schema import documents_errors
from core.serializers import UserSerializer
from core.services import user_change_password, user_login, user_register, user_update
from core.tokens import token_revoke
from core.feed_tokens import feed_url


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "register"

    @extend_schema_serializer(component_name="RegisterInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        role = serializers.ChoiceField(choices=[Role.CANDIDATE, Role.INTERVIEWER])
        name = SingleLineField(max_length=150, required=False, allow_blank=True, default="")
        timezone = TimezoneField(required=False, default="UTC")

    @extend_schema(request=InputSerializer, responses={201: UserSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "token"

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("TokenOut", {"token": serializers.CharField(), "user": UserSerializer()})},
    )
    @documents_errors({401: "`invalid_credentials`: the email or password is not correct."})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, token = user_login(**data.validated_data, client_ip=client_ip(request))
        return Response({"token": token, "user": UserSerializer(user).data})


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token_revoke(key=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(UserSerializer):
    feed_url = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["feed_url"]
        read_only_fields = fields

    def get_feed_url(self, user) -> str:
        return feed_url(user, self.context.get("request"))


class MeView(APIView):
    @extend_schema_serializer(component_name="ProfileInput")
    class InputSerializer(serializers.Serializer):
        name = SingleLineField(max_length=150, required=False, allow_blank=True)
        timezone = TimezoneField(required=False)

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses=MeSerializer)
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_update(user=request.user, **data.validated_data)
        return Response(MeSerializer(user, context={"request": request}).data)


class PasswordView(APIView):
    @extend_schema_serializer(component_name="PasswordInput")
    class InputSerializer(serializers.Serializer):
        current_password = serializers.CharField(max_length=128, trim_whitespace=False)
        new_password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses=inline_serializer("PasswordOut", {"token": serializers.CharField()}))
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            token = user_change_password(user=request.user, **data.validated_data)
        return Response({"token": token})


class UserListView(ListAPIView):
    """HR: users, by role and/or by email address (exact, in any case)."""

    permission_classes = [IsHR]
    serializer_class = UserSerializer

    @extend_schema(parameters=[
        OpenApiParameter("role", str, enum=[Role.CANDIDATE, Role.INTERVIEWER, Role.HR]),
        OpenApiParameter("email", str, description="exact address, any case"),
        OpenApiParameter("page", int), OpenApiParameter("page_size", int),
    ])
    def get(self, request, *args, **kwargs):
        check_query_params(request, {"role", "email", "page", "page_size"})
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        users = User.objects.order_by("id")
        email = self.request.query_params.get("email")
        if email is not None:
            if not email.strip() or len(email) > 254:
                raise serializers.ValidationError({"email": ["An email address (at most 254 characters)."]})
            users = users.filter(email__iexact=normalize_email(email))
        role = self.request.query_params.get("role")
        if role in (None, ""):
            return users
        if role == Role.HR:
            return users.filter(is_superuser=True)
        if role in (Role.CANDIDATE, Role.INTERVIEWER):
            return users.filter(role=role, is_superuser=False)
        raise serializers.ValidationError({"role": ["Choose candidate, interviewer or hr."]})


class UserDetailView(RetrieveAPIView):
    """HR: one user by id."""

    permission_classes = [IsHR]
    serializer_class = UserSerializer
    queryset = User.objects.all()
