from django.contrib import admin

from links.models import SchedulingLink


@admin.register(SchedulingLink)
class SchedulingLinkAdmin(admin.ModelAdmin):
    """Read-only here: links are made and revoked through the API, which keeps its rules."""

    list_display = ["id", "candidate", "title", "start", "end", "expires_at", "interview", "revoked_at"]
    list_select_related = ["candidate", "interview"]
    search_fields = ["candidate__email", "title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
