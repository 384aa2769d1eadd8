import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


def new_uid() -> str:
    return f"{uuid.uuid4()}@interviews"


class InterviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Loop(models.Model):
    """An onsite loop: several interviews (sessions) for one candidate, booked and cancelled together."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="loops")
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=InterviewStatus.choices, default=InterviewStatus.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Loop {self.pk} ({self.status})"


class Interview(models.Model):
    """A booked interview. ``uid`` names it in every invite for its whole life; ``sequence`` counts changes."""

    uid = models.CharField(max_length=255, unique=True, default=new_uid, editable=False)
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interviews_as_candidate"
    )
    interviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="interviews_as_interviewer")
    title = models.CharField(max_length=200, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=InterviewStatus.choices, default=InterviewStatus.SCHEDULED)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The loop this interview is a session of, if any.
    loop = models.ForeignKey(Loop, null=True, blank=True, on_delete=models.PROTECT, related_name="interviews")
    cancel_reason = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["status", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="interview_end_after_start")]

    def __str__(self) -> str:
        return f"Interview {self.pk} ({self.status}) {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def display_title(self) -> str:
        return self.title or "Interview"


class InviteMethod(models.TextChoices):
    REQUEST = "REQUEST", "Request"
    CANCEL = "CANCEL", "Cancel"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SUPERSEDED = "superseded", "Superseded by a newer invite"


class InviteDelivery(models.Model):
    """One invite email to one participant: an outbox row, so that a failed send is retried, never lost."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=8, choices=InviteMethod.choices)
    sequence = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # When a worker took it for sending; a claim older than the send timeout belongs to a worker that died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "created"])]


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for a fitting slot"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Window passed"


class RequestMode(models.TextChoices):
    PANEL = "panel", "Every interviewer"
    ONE_OF = "one_of", "One interviewer from the pool"


class RequestChoice(models.TextChoices):
    EARLIEST = "earliest", "Earliest slot"
    LEAST_LOADED = "least_loaded", "Least-loaded interviewer"


class InterviewRequest(models.Model):
    """HR asks for an interview to be booked as soon as everyone is free within a window."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    interviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    mode = models.CharField(max_length=8, choices=RequestMode.choices, default=RequestMode.PANEL)
    choice = models.CharField(max_length=16, choices=RequestChoice.choices, default=RequestChoice.EARLIEST)
    duration = models.PositiveIntegerField(default=60)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    title = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    interview = models.OneToOneField(Interview, null=True, blank=True, on_delete=models.SET_NULL, related_name="request")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    last_attempt = models.DateTimeField(null=True, blank=True)
    # Why the last try found no slot (``{code, message, users}``, as in the slots answer); null otherwise.
    explanation = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="request_window")]
