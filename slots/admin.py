from django.contrib import admin

from slots.models import AvailabilityWindow, BusyPeriod, InterviewerPolicy, WeeklyRule


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "start", "end", "source"]
    list_filter = ["source"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "import_source"]
    date_hierarchy = "start"


@admin.register(WeeklyRule)
class WeeklyRuleAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "weekdays", "start_time", "end_time", "timezone", "valid_from", "valid_until"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(BusyPeriod)
class BusyPeriodAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "start", "end", "source", "interview"]
    list_filter = ["source"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "interview", "import_source"]
    date_hierarchy = "start"


@admin.register(InterviewerPolicy)
class InterviewerPolicyAdmin(admin.ModelAdmin):
    list_display = ["user", "buffer_before", "buffer_after", "min_notice", "max_per_day"]
    raw_id_fields = ["user"]
