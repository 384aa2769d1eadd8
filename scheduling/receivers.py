from django.dispatch import receiver
from django_q.tasks import async_task

from scheduling.models import InterviewRequest, RequestStatus
from slots.signals import free_time_changed


@receiver(free_time_changed)
def retry_requests(sender, user_ids: list[int], **kwargs) -> None:
    if InterviewRequest.objects.filter(status=RequestStatus.OPEN).exists():
        async_task("scheduling.tasks.try_interview_requests_for_users", list(user_ids))
