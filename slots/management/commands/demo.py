"""Demo accounts and availability, so a first run has something to ask the matcher about."""

import os
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.models import Role, User
from core.timezones import get_zone
from slots.models import AvailabilityWindow, WeeklyRule

HR_EMAIL = "hr@example.com"
DEMO_PASSWORD = "demo-password-123"


class Command(BaseCommand):
    help = "Create the demo HR account, a candidate, two interviewers and their free time (idempotent)."

    def handle(self, *args, **options):
        hr_password = os.environ.get("DEMO_HR_PASSWORD", DEMO_PASSWORD)
        hr = User.objects.filter(email=HR_EMAIL).first()
        if hr is None:
            hr = User.objects.create_superuser(email=HR_EMAIL, password=hr_password, name="Demo HR")
        people = [
            ("candidate@example.com", "Cara Candidate", Role.CANDIDATE, "Asia/Kolkata"),
            ("ivan@example.com", "Ivan Interviewer", Role.INTERVIEWER, "Asia/Kolkata"),
            ("nora@example.com", "Nora Interviewer", Role.INTERVIEWER, "Europe/London"),
        ]
        created = {}
        for email, name, role, tz in people:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name, role=role, timezone=tz)
                if role == Role.INTERVIEWER:
                    WeeklyRule.objects.create(
                        user=user, weekdays=[0, 1, 2, 3, 4], start_time=time(9), end_time=time(17), timezone=tz
                    )
                else:
                    zone = get_zone(tz)
                    today = timezone.now().astimezone(zone).date()
                    for offset in range(1, 8):
                        day = today + timedelta(days=offset)
                        AvailabilityWindow.objects.create(
                            user=user,
                            start=datetime.combine(day, time(11), tzinfo=zone),
                            end=datetime.combine(day, time(16), tzinfo=zone),
                        )
            created[email] = user
        ids = {email: user.pk for email, user in created.items()}
        self.stdout.write(
            "\nDemo accounts (password for all but HR: %s)\n"
            "  HR          %s  password %s\n"
            "  candidate   candidate@example.com (id %s)\n"
            "  interviewer ivan@example.com (id %s), nora@example.com (id %s)\n"
            "Try: the README's curl walk-through, or %s/api/v1/docs/\n"
            % (DEMO_PASSWORD, HR_EMAIL, hr_password, ids["candidate@example.com"], ids["ivan@example.com"],
               ids["nora@example.com"], settings.PUBLIC_BASE_URL)
        )
