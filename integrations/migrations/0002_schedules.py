from django.db import migrations

from core.schedules import schedules_operation


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial"), ("django_q", "0018_task_success_index")]
    operations = [schedules_operation([("refresh calendar subscriptions", "integrations.tasks.refresh_subscriptions", 10)])]
