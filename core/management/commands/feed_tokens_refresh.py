from django.core.management.base import BaseCommand

from core.feed_tokens import feed_tokens_refresh


class Command(BaseCommand):
    help = "Store every user's feed token hash again (run it after changing DJANGO_SECRET_KEY)."

    def handle(self, *args, **options):
        self.stdout.write(f"{feed_tokens_refresh()} feed token(s) refreshed")
