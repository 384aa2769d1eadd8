"""django-q2 schedules as a migration operation (used by the apps' schedule migrations)."""

from django.db import migrations


def schedules_operation(schedules: list[tuple[str, str, int]]) -> migrations.RunPython:
    """Create (or update) each ``(name, task path, every N minutes)`` schedule; remove them going back."""

    def forwards(apps, schema_editor):
        Schedule = apps.get_model("django_q", "Schedule")
        for name, func, minutes in schedules:
            Schedule.objects.update_or_create(
                name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
            )

    def backwards(apps, schema_editor):
        apps.get_model("django_q", "Schedule").objects.filter(name__in=[name for name, _, _ in schedules]).delete()

    return migrations.RunPython(forwards, backwards)
