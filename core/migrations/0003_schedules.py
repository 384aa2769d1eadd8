from django.db import migrations

from core.schedules import schedules_operation


class Migration(migrations.Migration):
    dependencies = [("core", "0002_idempotency_in_core"), ("django_q", "0018_task_success_index")]
    operations = [schedules_operation([("purge idempotency records", "core.tasks.purge_idempotency_records", 60)])]
