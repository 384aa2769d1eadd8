from django.db import migrations

from core.schedules import schedules_operation


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_schedules")]
    operations = [schedules_operation([("sync Google free/busy", "integrations.google.tasks.sync_all_google", 15)])]
