from django.contrib import admin

from scheduling.models import Interview, InterviewRequest, InviteDelivery


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    """Read here; book, reschedule and cancel through the API, which checks free time and sends invites."""

    list_display = ["id", "title", "candidate", "start", "end", "status", "sequence"]
    list_filter = ["status"]
    search_fields = ["candidate__email", "title", "uid"]
    readonly_fields = ["uid", "candidate", "interviewers", "start", "end", "status", "sequence", "created_by",
                       "created", "updated", "cancelled_at"]
    date_hierarchy = "start"

    def has_add_permission(self, request):
        return False


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
