from django.contrib import admin
from django.db import models
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from integrations.models import CalDAVConnection, CalendarSource, GoogleConnection, MicrosoftConnection


@admin.register(CalendarSource)
class CalendarSourceAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "name", "kind", "is_subscription", "periods", "skipped_count", "last_synced",
                    "last_error"]
    list_filter = ["kind", "is_subscription"]
    search_fields = ["user__email", "name"]
    raw_id_fields = ["user"]
    exclude = ["password_encrypted", "skipped", "warnings"]
    readonly_fields = ["skipped_events", "warnings_text", "next_attempt"]

    @admin.display(description="skipped")
    def skipped_count(self, source):
        return len(source.skipped or [])

    @admin.display(description="skipped events")
    def skipped_events(self, source):
        return format_html_join(mark_safe("<br>"), "{}", ((item.get("reason", ""),) for item in source.skipped or [])) or "-"

    @admin.display(description="warnings")
    def warnings_text(self, source):
        return format_html_join(mark_safe("<br>"), "{}", ((w,) for w in source.warnings or [])) or "-"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(GoogleConnection)
class GoogleConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "calendars", "last_synced", "last_error"]
    list_filter = ["status"]
    exclude = ["refresh_token_encrypted", "access_token_encrypted"]
    readonly_fields = ["user", "scopes", "access_token_expiry", "last_synced", "last_error", "calendar_errors", "created"]


@admin.register(CalDAVConnection)
class CalDAVConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "url", "username", "status", "last_synced", "last_error"]
    list_filter = ["status"]
    exclude = ["password_encrypted"]
    readonly_fields = ["user", "url", "username", "available_calendars", "last_synced", "last_error",
                       "calendar_errors", "created"]


@admin.register(MicrosoftConnection)
class MicrosoftConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "mailbox", "status", "last_synced", "last_error"]
    list_filter = ["status"]
    exclude = ["refresh_token_encrypted", "access_token_encrypted"]
    readonly_fields = ["user", "mailbox", "scopes", "access_token_expiry", "last_synced", "last_error", "created"]
