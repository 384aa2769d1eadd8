"""The recurring background work, as django-q2 schedules."""

from django.db import migrations

SCHEDULES = [
    ("retry pending invites", "scheduling.tasks.retry_pending_invites", 5),
    ("try open interview requests", "scheduling.tasks.try_all_interview_requests", 15),
]


def forwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
        )


def backwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(forwards, backwards)]
