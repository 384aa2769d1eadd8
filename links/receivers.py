"""The candidate's invite email carries their scheduling link (to reschedule or cancel)."""

from django.dispatch import receiver

from links.models import SchedulingLink
from links.tokens import hash_link_token, link_token, link_url
from scheduling.signals import invite_composing


@receiver(invite_composing)
def scheduling_link_line(sender, interview, recipient, **kwargs) -> str | None:
    if recipient.pk != interview.candidate_id:
        return None
    link = SchedulingLink.objects.filter(interview=interview, revoked_at__isnull=True).first()
    if link is None:
        return None
    token = link_token(link.salt)
    if hash_link_token(token) != link.token_hash:  # the secret key changed since: this token no longer opens it
        return None
    return f"To reschedule or cancel, open your scheduling link: {link_url(token)}"
