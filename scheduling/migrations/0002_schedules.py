"""The recurring background work, as django-q2 schedules."""

from django.db import migrations

from core.schedules import schedules_operation


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial"), ("django_q", "0018_task_success_index")]
    operations = [
        schedules_operation([
            ("retry pending invites", "scheduling.tasks.retry_pending_invites", 5),
            ("try open interview requests", "scheduling.tasks.try_all_interview_requests", 15),
        ])
    ]
