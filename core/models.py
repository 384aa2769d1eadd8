import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone as django_timezone

from core.emails import normalize_email
from core.validators import validate_timezone


class Role(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    INTERVIEWER = "interviewer", "Interviewer"
    HR = "hr", "HR"


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        """The one normal form (core.emails): stored, looked up and counted the same way."""
        return normalize_email(email or "")

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.HR)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email=self.normalize_email(username))


def new_feed_salt() -> str:
    return secrets.token_hex(16)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CANDIDATE)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=django_timezone.now)
    # The feed token is derived from this salt and the secret key; rotating the salt retires the old URL.
    feed_salt = models.CharField(max_length=32, default=new_feed_salt)
    feed_token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(models.functions.Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email or "")

    @property
    def effective_role(self) -> str:
        return Role.HR if self.is_superuser else self.role


class AuthToken(models.Model):
    """An API token. Only the SHA-256 of the key is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_tokens")
    created = models.DateTimeField(default=django_timezone.now)
    expires = models.DateTimeField()

    def __str__(self) -> str:
        return f"token of {self.user_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST made with an ``Idempotency-Key``; a retry gets it again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")]



class CacheRepair(models.Model):
    """A cache write that failed while the cache was down (a revoked token's tombstone, a user snapshot to
    forget); written when the cache answers again (core.tokens), so a stale entry cannot outlive the outage."""

    key = models.CharField(max_length=250)
    value = models.JSONField(null=True)  # None: delete the key
    expires = models.DateTimeField()  # after this the entry it fixes has expired anyway

    def __str__(self) -> str:
        return self.key


class RateCounter(models.Model):
    """A fixed-window counter of the limits when the shared cache is Django's database cache, whose ``incr``
    is a read and a write (core.counters): here it is one ``UPDATE ... SET hits = hits + 1``."""

    key = models.CharField(max_length=250, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
