from django.db import migrations

SCHEDULES = [("sync Google free/busy", "integrations.google.tasks.sync_all_google", 15)]


def forwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
        )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[n for n, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_schedules")]
    operations = [migrations.RunPython(forwards, backwards)]
