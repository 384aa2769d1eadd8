from django.conf import settings
from django.db import models


class CalendarKind(models.TextChoices):
    BUSY = "busy", "Events are busy time"
    AVAILABLE = "available", "Events are available time"


class CalendarSource(models.Model):
    """An imported calendar (a file name or a URL); re-importing it replaces what it produced before."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_sources")
    name = models.CharField(max_length=2048, help_text="The file name, or the URL")
    url = models.URLField(max_length=2048, blank=True)
    kind = models.CharField(max_length=16, choices=CalendarKind.choices, default=CalendarKind.BUSY)
    is_subscription = models.BooleanField(default=False)
    etag = models.CharField(max_length=512, blank=True)
    last_modified = models.CharField(max_length=128, blank=True)
    last_synced = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    periods = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True, help_text="Events left out at the last import: uid, summary, reason")
    warnings = models.JSONField(default=list, blank=True, help_text="What the last import read differently from the file")
    username = models.CharField(max_length=255, blank=True, help_text="Basic auth user name for the URL")
    password_encrypted = models.TextField(blank=True)
    next_attempt = models.DateTimeField(null=True, blank=True, help_text="A subscription is not fetched before this")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="calendar_source_unique_name")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name} ({self.kind})"


class GoogleConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Connected"
    BROKEN = "broken", "Needs reconnecting"


class GoogleConnection(models.Model):
    """An interviewer's Google Calendar grant. The refresh token is stored encrypted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="google")
    refresh_token_encrypted = models.TextField()
    access_token_encrypted = models.TextField(blank=True)
    access_token_expiry = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list)
    calendars = models.JSONField(default=list, help_text="Calendar ids whose free/busy is read")
    busy_calendar = models.CharField(max_length=255, default="primary", help_text="Where busy blocks are written")
    status = models.CharField(max_length=16, choices=GoogleConnectionStatus.choices, default=GoogleConnectionStatus.ACTIVE)
    last_synced = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    calendar_errors = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Google Calendar of {self.user_id} ({self.status})"


ConnectionStatus = GoogleConnectionStatus  # every connected calendar is "active" or "broken"


class CalDAVConnection(models.Model):
    """An interviewer's CalDAV account (iCloud, Fastmail, Nextcloud...). The app password is stored encrypted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caldav")
    url = models.URLField(max_length=2048)
    username = models.CharField(max_length=255)
    password_encrypted = models.TextField()
    available_calendars = models.JSONField(default=list, help_text="[{id, name}] found when connecting")
    calendars = models.JSONField(default=list, help_text="Calendar URLs whose busy time is read")
    busy_calendar = models.CharField(max_length=2048, blank=True, help_text="Calendar URL where busy blocks go")
    status = models.CharField(max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE)
    last_synced = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    calendar_errors = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"CalDAV calendar of {self.user_id} ({self.status})"



class MicrosoftConnection(models.Model):
    """An interviewer's Microsoft 365 grant. The tokens are stored encrypted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="microsoft")
    refresh_token_encrypted = models.TextField()
    access_token_encrypted = models.TextField(blank=True)
    access_token_expiry = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list)
    mailbox = models.CharField(max_length=255, help_text="Whose free/busy is read (the signed-in account)")
    status = models.CharField(max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE)
    last_synced = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Microsoft 365 calendar of {self.user_id} ({self.status})"


class MicrosoftEvent(models.Model):
    """The Graph id of a busy block we made (Graph chooses event ids), by our block key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    event_id = models.CharField(max_length=512)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="microsoft_event_unique_key")]
