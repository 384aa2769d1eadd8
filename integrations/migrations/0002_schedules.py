from django.db import migrations

SCHEDULES = [("refresh calendar subscriptions", "integrations.tasks.refresh_subscriptions", 10)]


def forwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
        )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[n for n, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(forwards, backwards)]
