from django.contrib import admin
from django.db import models

from integrations.models import CalendarSource, GoogleConnection


@admin.register(CalendarSource)
class CalendarSourceAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "name", "kind", "is_subscription", "periods", "last_synced", "last_error"]
    list_filter = ["kind", "is_subscription"]
    search_fields = ["user__email", "name"]
    raw_id_fields = ["user"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(GoogleConnection)
class GoogleConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "calendars", "last_synced", "last_error"]
    list_filter = ["status"]
    exclude = ["refresh_token_encrypted", "access_token_encrypted"]
    readonly_fields = ["user", "scopes", "access_token_expiry", "last_synced", "last_error", "calendar_errors", "created"]
