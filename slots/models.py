from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.validators import validate_timezone
from slots.versions import touch


class FreeTimeQuerySet(models.QuerySet):
    """Bulk writes of rows that make up someone's free time give those people a new version."""

    def _people(self) -> set:
        return set(self.values_list("user_id", flat=True).order_by().distinct())

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        touch(o.user_id for o in objs)
        return created

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        people = set(self.model.objects.filter(pk__in=[o.pk for o in objs]).values_list("user_id", flat=True))
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        touch(people | {o.user_id for o in objs})
        return updated

    bulk_update.alters_data = True

    def update(self, **kwargs):
        people = self._people()
        updated = super().update(**kwargs)
        moved_to = kwargs.get("user_id", getattr(kwargs.get("user"), "pk", kwargs.get("user")))
        touch(people | {moved_to})
        return updated

    update.alters_data = True

    def delete(self):
        people = self._people()
        deleted = super().delete()
        touch(people)
        return deleted

    delete.alters_data = True
    delete.queryset_only = True


class FreeTimeRow(models.Model):
    """A row that makes up its user's free time: saving or deleting it gives them a new version
    (``slots.versions``), and its previous user too when it moves to someone else."""

    objects = FreeTimeQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        row._loaded_user_id = row.__dict__.get("user_id")
        return row

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        touch([self.user_id, getattr(self, "_loaded_user_id", None)])
        self._loaded_user_id = self.user_id

    def delete(self, *args, **kwargs):
        people = [self.user_id, getattr(self, "_loaded_user_id", None)]
        deleted = super().delete(*args, **kwargs)
        touch(people)
        return deleted


class AvailabilitySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    ICAL = "ical", "Imported iCal"


class AvailabilityWindow(FreeTimeRow):
    """A one-off stretch of time a user says they are free, stored in UTC."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability")
    start = models.DateTimeField()
    end = models.DateTimeField()
    source = models.CharField(max_length=16, choices=AvailabilitySource.choices, default=AvailabilitySource.MANUAL)
    # For imported windows: the calendar source (file name or URL) that produced them.
    import_source = models.ForeignKey(
        "integrations.CalendarSource", null=True, blank=True, on_delete=models.CASCADE, related_name="windows"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["user", "start", "end"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="availability_end_after_start")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC"


class WeeklyRule(FreeTimeRow):
    """Free every week on some weekdays between two wall-clock times in a zone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_rules")
    weekdays = models.JSONField(help_text="Monday is 0")
    start_time = models.TimeField()
    end_time = models.TimeField(help_text="Not after start_time: the rule runs past midnight")
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="weekly_rule_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.weekdays} {self.start_time}-{self.end_time} {self.timezone}"


class BusySource(models.TextChoices):
    INTERVIEW = "interview", "Interview"
    ICAL = "ical", "Imported iCal"
    GOOGLE = "google", "Google Calendar"
    CALDAV = "caldav", "CalDAV calendar"
    MICROSOFT = "microsoft", "Microsoft 365 calendar"
    MANUAL = "manual", "Entered by hand"


class BusyPeriod(FreeTimeRow):
    """Time a user is not free, whatever their availability says."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="busy_periods")
    start = models.DateTimeField()
    end = models.DateTimeField()
    source = models.CharField(max_length=16, choices=BusySource.choices)
    interview = models.ForeignKey(
        "scheduling.Interview", null=True, blank=True, on_delete=models.CASCADE, related_name="busy_periods"
    )
    import_source = models.ForeignKey(
        "integrations.CalendarSource", null=True, blank=True, on_delete=models.CASCADE, related_name="busy_periods"
    )
    # For connected calendars: which calendar of the connection produced it (an id, URL or mailbox).
    external_calendar = models.CharField(max_length=2048, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["user", "start", "end"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="busy_end_after_start")]

    def __str__(self) -> str:
        return f"{self.user_id} busy ({self.source}) {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC"


class InterviewerPolicy(FreeTimeRow):
    """How an interviewer wants to be booked. The defaults change nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy")
    buffer_before = models.PositiveIntegerField(default=0, help_text="minutes kept free of interviews before each")
    buffer_after = models.PositiveIntegerField(default=0, help_text="minutes kept free of interviews after each")
    min_notice = models.PositiveIntegerField(default=0, help_text="minutes between booking and start, at least")
    max_per_day = models.PositiveIntegerField(null=True, blank=True, help_text="interviews per local day, at most")

    class Meta:
        verbose_name_plural = "interviewer policies"

    def __str__(self) -> str:
        return f"policy of {self.user_id}"

