"""The seam between bookings and interviewers' connected calendars: after commit, a task per interviewer
brings their calendar's busy block in line with the interview (insert, move or delete)."""

from django.db import transaction
from django_q.tasks import async_task

from integrations.models import GoogleConnection, GoogleConnectionStatus
from scheduling.models import Interview


def queue_busy_block_sync(interview: Interview, interviewer_ids: list[int]) -> None:
    connected = GoogleConnection.objects.filter(
        user_id__in=interviewer_ids, status=GoogleConnectionStatus.ACTIVE
    ).values_list("user_id", flat=True)
    for user_id in connected:
        transaction.on_commit(
            lambda user_id=user_id: async_task("integrations.google.tasks.busy_block_sync", interview.pk, user_id),
            robust=True,
        )
