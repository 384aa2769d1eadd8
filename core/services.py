"""Accounts: sign-up, profile changes, passwords, logins."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import Throttled, ValidationError

from core.errors import InvalidCredentials
from core.models import Role, User
from core.tokens import token_issue, tokens_revoke_all


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        return list(exc.messages)
    return []


def user_register(*, email: str, password: str, role: str, name: str = "", timezone: str = "UTC") -> User:
    if role not in (Role.CANDIDATE, Role.INTERVIEWER):
        raise ValidationError({"role": ["Choose candidate or interviewer."]})
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with this email already exists."]})
    user = User(email=email, role=role, name=name, timezone=timezone)
    errors = _password_errors(password, user)
    if errors:
        raise ValidationError({"password": errors})
    user.set_password(password)
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"email": ["A user with this email already exists."]}) from None
    return user


def user_update(*, user: User, name: str | None = None, timezone: str | None = None) -> User:
    fields = []
    if name is not None:
        user.name = name
        fields.append("name")
    if timezone is not None:
        user.timezone = timezone
        fields.append("timezone")
    if fields:
        user.full_clean(exclude=["password"])
        user.save(update_fields=fields)
    return user


def _failure_key(email: str) -> str:
    return f"login:failures:{email.lower()}"


def user_login(*, email: str, password: str) -> tuple[User, str]:
    """Check the credentials and issue a token. Repeated failures for one address are slowed down."""
    key = _failure_key(email)
    failures = cache.get(key, 0)
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        raise Throttled(wait=settings.LOGIN_FAILURE_WINDOW_SECONDS, detail="Too many failed logins; try again later.")
    user = authenticate(username=email, password=password)
    if user is None:
        if cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        raise InvalidCredentials()
    cache.delete(key)
    return user, token_issue(user=user)


def user_change_password(*, user: User, current_password: str, new_password: str) -> str:
    """Change the password, revoke every token the user has, and issue a fresh one."""
    user = User.objects.get(pk=user.pk)  # the request's user may be a cached snapshot without a password
    if not user.check_password(current_password):
        raise ValidationError({"current_password": ["The current password is not correct."]})
    errors = _password_errors(new_password, user)
    if errors:
        raise ValidationError({"new_password": errors})
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user_id=user.pk)
    return token_issue(user=user)
