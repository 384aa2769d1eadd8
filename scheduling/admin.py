"""The admin keeps the API's rules: an interview changes only through the services that book, reschedule
and cancel (locks, free-time checks, ``sequence``, invites). Saving the change form reschedules, retitles or
changes the panel through ``interview_update``; deleting an interview cancels it through ``interview_cancel``
(CANCEL invites; the row stays, as it does when the API cancels)."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DrfValidationError

from core.models import Role, User
from scheduling.models import Interview, InterviewRequest, InterviewStatus, InviteDelivery
from scheduling.services import interview_cancel, interview_update


def _form_errors(detail, fields) -> dict:
    """A service's validation error as form errors: its field names, ``duration`` shown on ``end``."""
    if not isinstance(detail, dict):
        return {"__all__": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}
    errors: dict = {}
    for name, found in detail.items():
        name = "end" if name == "duration" else name
        errors.setdefault(name if name in fields else "__all__", []).extend(
            str(m) for m in (found if isinstance(found, list) else [found])
        )
    return errors


class InterviewForm(forms.ModelForm):
    """Validating this form *is* the change: ``clean`` calls the service, whose writes belong to the admin
    view's transaction; the admin's own save then has nothing left to write."""

    interviewers = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(role=Role.INTERVIEWER, is_superuser=False, is_active=True)
    )

    class Meta:
        model = Interview
        fields = ["title", "start", "end", "interviewers"]

    def clean(self):
        data = super().clean()
        if self.errors or self.instance.pk is None:
            return data
        if self.instance.status != InterviewStatus.SCHEDULED:
            raise forms.ValidationError("A cancelled interview cannot be changed.")
        start, end = data["start"], data["end"]
        try:
            self.instance = interview_update(
                interview=Interview.objects.get(pk=self.instance.pk),
                start=start if start != self.instance.start else None,
                duration=end - start if (start, end) != (self.instance.start, self.instance.end) else None,
                title=data.get("title", ""),
                interviewers=list(data["interviewers"]),
            )
        except DrfValidationError as exc:
            raise forms.ValidationError(_form_errors(exc.detail, self.fields)) from None
        except APIException as exc:  # slot_unavailable, conflict
            raise forms.ValidationError(str(exc.detail)) from None
        return data

    def _post_clean(self):
        """The service has saved the interview; the form must not write its fields over it again."""


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    form = InterviewForm
    list_display = ["id", "title", "candidate", "start", "end", "status", "sequence"]
    list_filter = ["status"]
    search_fields = ["candidate__email", "title", "uid"]
    readonly_fields = ["uid", "candidate", "status", "sequence", "created_by", "created", "updated", "cancelled_at",
                       "cancel_reason"]
    fields = ["uid", "candidate", "title", "start", "end", "interviewers", "status", "sequence", "created_by",
              "created", "updated", "cancelled_at", "cancel_reason"]
    date_hierarchy = "start"
    actions = ["cancel_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != InterviewStatus.SCHEDULED:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """Done by the form's service call."""

    def save_related(self, request, form, formsets, change):
        """Done by the form's service call."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # an interview is cancelled, not deleted
        return actions

    def get_deleted_objects(self, objs, request):
        """Deleting an interview cancels it: nothing is deleted, so the page lists only the interview."""
        shown = [f"{obj} (will be cancelled: CANCEL invites go out, the time is freed)" for obj in objs]
        return shown, {Interview._meta.verbose_name_plural: len(shown)}, set(), []

    def delete_model(self, request, obj):
        interview_cancel(interview=obj)

    def delete_queryset(self, request, queryset):
        for interview in queryset:
            interview_cancel(interview=interview)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, f"{obj_display} was cancelled (not deleted): every participant gets a CANCEL.",
                          messages.SUCCESS)
        return redirect(reverse("admin:scheduling_interview_changelist"))

    @admin.action(description="Cancel the selected interviews (sends CANCEL invites)", permissions=["change"])
    def cancel_selected(self, request, queryset):
        cancelled = 0
        for interview in queryset.filter(status=InterviewStatus.SCHEDULED):
            interview_cancel(interview=interview)
            cancelled += 1
        self.message_user(request, f"{cancelled} interview(s) cancelled.", messages.SUCCESS)


@admin.register(InterviewRequest)
class InterviewRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "candidate", "mode", "choice", "window_start", "window_end", "status", "interview"]
    list_filter = ["status", "mode"]
    raw_id_fields = ["candidate", "interview", "created_by"]


@admin.register(InviteDelivery)
class InviteDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "interview", "recipient", "method", "sequence", "status", "attempts", "sent_at"]
    list_filter = ["status", "method"]
    readonly_fields = [f.name for f in InviteDelivery._meta.fields]
