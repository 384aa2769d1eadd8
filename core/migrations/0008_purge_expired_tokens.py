from django.db import migrations

from core.schedules import schedules_operation


class Migration(migrations.Migration):
    dependencies = [("core", "0007_feed_token_hashes"), ("django_q", "0018_task_success_index")]
    operations = [schedules_operation([("purge expired tokens", "core.tasks.purge_expired_tokens", 24 * 60)])]
