import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.validators import validate_timezone
from scheduling.models import Interview


def new_link_salt() -> str:
    return secrets.token_hex(16)  # 128 random bits: the token is derived from it (links/tokens.py)


class LinkStatus(models.TextChoices):
    OPEN = "open", "Open"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class SchedulingLink(models.Model):
    """A link HR sends a candidate: they pick one of the panel's slots in ``[start, end)`` with no account.

    Only a hash of the token is stored. The status is not stored but follows from the row (see
    ``links.selectors.link_status``): revoked, else booked while its interview is scheduled, else open
    until ``expires_at``.
    """

    salt = models.CharField(max_length=32, default=new_link_salt, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduling_links")
    interviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    pool = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    pool_size = models.PositiveSmallIntegerField(default=0)
    duration = models.PositiveSmallIntegerField(default=60)
    step = models.PositiveSmallIntegerField(default=30)
    start = models.DateTimeField()
    end = models.DateTimeField()
    expires_at = models.DateTimeField()
    title = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    interview = models.ForeignKey(Interview, null=True, blank=True, on_delete=models.SET_NULL, related_name="links")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="link_end_after_start"),
            models.CheckConstraint(condition=Q(duration__gte=15) & Q(duration__lte=480), name="link_duration"),
            models.CheckConstraint(condition=Q(step__gte=5) & Q(step__lte=1440), name="link_step"),
        ]

    def __str__(self) -> str:
        return f"Scheduling link {self.pk} for {self.candidate_id}"
