"""Accounts: sign-up, profile changes, passwords, logins."""

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from rest_framework.exceptions import Throttled, ValidationError

from core import counters
from core.emails import normalize_email
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
    email = normalize_email(email)
    try:
        if len(email) > 254:  # normalising may lengthen it (U+FB03 is "ffi")
            raise DjangoValidationError("too long")
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    if User.objects.filter(email=email).exists():
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


def _address_key(email: str) -> str:
    return "login:address:" + hashlib.sha256(email.encode()).hexdigest()


def _ip_key(client_ip: str) -> str:
    return f"login:ip:{client_ip}"


def _too_many(count: counters.Count):
    return Throttled(wait=count.retry_after, detail="Too many failed logins; try again later.")


def user_login(*, email: str, password: str, client_ip: str) -> tuple[User, str]:
    """Check the credentials and issue a token.

    Two limits, each per window of LOGIN_FAILURE_WINDOW_SECONDS, in the shared cache:
    - per address: every attempt is counted *before* the password is checked (an atomic add/incr), so
      simultaneous guesses get at most LOGIN_FAILURE_LIMIT checks; a success clears the count;
    - per client IP: the number of different addresses that failed from it (password spraying); at
      LOGIN_FAILURE_IP_LIMIT the address is refused for every account until the window ends.
    The address is normalised first (core.emails), so no spelling of it has a counter of its own.
    """
    email = normalize_email(email)
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    sprayed = counters.peek(_ip_key(client_ip), window=window)
    if sprayed.hits >= settings.LOGIN_FAILURE_IP_LIMIT:
        raise _too_many(sprayed)
    attempt = counters.hit(_address_key(email), window=window)
    if attempt.hits > settings.LOGIN_FAILURE_LIMIT:
        raise _too_many(attempt)
    user = authenticate(username=email, password=password)
    if user is None:
        if counters.first_time(f"{_ip_key(client_ip)}:{_address_key(email)}", window=window):
            counters.hit(_ip_key(client_ip), window=window)
        raise InvalidCredentials()
    counters.reset(_address_key(email), window=window)
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
