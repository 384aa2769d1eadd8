from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """A mail server that is down (the one thing that leaves the process, replaced)."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("SMTP is down")
