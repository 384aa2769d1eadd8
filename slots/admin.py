from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse

from slots.models import AvailabilityWindow, BusyPeriod, BusySource, InterviewerPolicy, WeeklyRule
from slots.services import announce_free_time_changed, interviewer_policy_update


class AnnouncesFreeTimeChanges:
    """Free time changed in the admin is announced like a change through the API (open interview requests
    are tried again)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        announce_free_time_changed([obj.user_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        announce_free_time_changed([obj.user_id])

    def delete_queryset(self, request, queryset):
        users = list(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        announce_free_time_changed(users)


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(AnnouncesFreeTimeChanges, admin.ModelAdmin):
    list_display = ["id", "user", "start", "end", "source"]
    list_filter = ["source"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "import_source"]
    date_hierarchy = "start"


@admin.register(WeeklyRule)
class WeeklyRuleAdmin(AnnouncesFreeTimeChanges, admin.ModelAdmin):
    list_display = ["id", "user", "weekdays", "start_time", "end_time", "timezone", "valid_from", "valid_until"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


def _where_to_change(period: BusyPeriod) -> str:
    return (
        f"Busy period {period.pk} belongs to interview {period.interview_id}: it changes only with the interview. "
        f"Reschedule or cancel the interview (its admin page, or PATCH /api/v1/interviews/{period.interview_id}/ "
        f"and POST /api/v1/interviews/{period.interview_id}/cancel)."
    )


class BusyPeriodForm(forms.ModelForm):
    class Meta:
        model = BusyPeriod
        fields = ["user", "start", "end", "source", "import_source", "external_calendar"]

    def clean_source(self):
        source = self.cleaned_data["source"]
        if source == BusySource.INTERVIEW:
            raise forms.ValidationError("Interview busy time is made by booking an interview, not by hand.")
        return source


@admin.register(BusyPeriod)
class BusyPeriodAdmin(AnnouncesFreeTimeChanges, admin.ModelAdmin):
    """Busy time by hand. An interview's own busy periods are shown read-only: editing or deleting one would
    free the time while the interview stands, and the API would then book the people twice."""

    form = BusyPeriodForm
    list_display = ["id", "user", "start", "end", "source", "interview"]
    list_filter = ["source"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "import_source"]
    readonly_fields = ["interview"]
    date_hierarchy = "start"

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.interview_id is not None:
            return False
        return super().has_change_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        period = self._interview_owned(object_id)
        if period is not None and request.method == "POST":
            return self._refuse(request, period)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        period = self._interview_owned(object_id)
        if period is not None:
            return self._refuse(request, period)
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        owned = [_where_to_change(p) for p in objs if p.interview_id is not None]
        return deleted, counts, perms_needed, [*protected, *owned]

    def delete_queryset(self, request, queryset):
        # never reached with interview-owned rows (get_deleted_objects protects them): belt and braces
        super().delete_queryset(request, queryset.filter(interview__isnull=True))

    def _interview_owned(self, object_id) -> BusyPeriod | None:
        if object_id is None:
            return None
        try:
            return BusyPeriod.objects.filter(pk=int(object_id), interview__isnull=False).first()
        except (TypeError, ValueError):
            return None

    def _refuse(self, request, period: BusyPeriod):
        self.message_user(request, _where_to_change(period), messages.ERROR)
        return redirect(reverse("admin:scheduling_interview_change", args=[period.interview_id]))


@admin.register(InterviewerPolicy)
class InterviewerPolicyAdmin(admin.ModelAdmin):
    """Saved through the same service as the API, so open interview requests are tried again."""

    list_display = ["user", "buffer_before", "buffer_after", "min_notice", "max_per_day"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("buffer_before", "buffer_after", "min_notice", "max_per_day")}
        saved = interviewer_policy_update(user=obj.user, **fields)
        obj.pk = saved.pk
